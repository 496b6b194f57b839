package dev.veil.train.nn;

import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;

/** {@code y = x / sqrt(mean(x²) + eps) · γ} over the last dimension, as Llama and Qwen2 compute it. */
public final class RmsNorm {
    private RmsNorm() {}

    /** {@code weight} (γ, {@code [dim]}) may be null: the weight-free normalisation the inference engine does. */
    public static Var apply(Tape tape, Var x, Var weight, float eps) {
        if (weight != null && weight.size() != x.cols())
            throw new IllegalArgumentException("rmsnorm: weight " + weight + " for input " + x);
        return apply(tape, x, weight, eps, x.cols());
    }

    /**
     * Normalises every group of {@code headDim} consecutive values of the last dimension on its own, with one
     * {@code weight} of {@code [headDim]} for all: Qwen3's q_norm and k_norm over each attention head.
     */
    public static Var perHead(Tape tape, Var x, Var weight, float eps, int headDim) {
        if (x.cols() % headDim != 0 || weight.size() != headDim)
            throw new IllegalArgumentException(
                    "rmsnorm per head of " + headDim + ": weight " + weight + " for input " + x);
        return apply(tape, x, weight, eps, headDim);
    }

    private static Var apply(Tape tape, Var x, Var weight, float eps, int d) {
        int n = x.size() / d;
        float[] y = tape.uninitialized(x.size());
        float[] rstd = tape.uninitialized(n);
        forward(y, rstd, x.value(), weight == null ? null : weight.value(), n, d, eps);
        Var result = Var.result(tape, y, tape.needsGrad(x, weight), x.shape());
        if (result.requiresGrad()) {
            tape.record(() -> backward(
                    result.gradBuffer(),
                    x.value(),
                    weight == null ? null : weight.value(),
                    rstd,
                    x.requiresGrad() ? x.gradBuffer() : null,
                    weight != null && weight.requiresGrad() ? weight.gradBuffer() : null,
                    n,
                    d));
        }
        return result;
    }

    static void forward(float[] y, float[] rstd, float[] x, float[] w, int n, int d, float eps) {
        Parallel.shared().forEach(n, r -> {
            int o = r * d;
            float s = 1f / (float) Math.sqrt(VectorMath.dot(x, o, x, o, d) / d + eps);
            rstd[r] = s;
            for (int i = 0; i < d; i++) y[o + i] = w == null ? x[o + i] * s : (x[o + i] * s) * w[i];
        });
    }

    /** With x̂ = x·rstd and g = dy·γ: dx = rstd·(g − x̂·mean(g·x̂)); dγ = Σ_rows dy·x̂. */
    static void backward(float[] dy, float[] x, float[] w, float[] rstd, float[] dx, float[] dw, int n, int d) {
        if (dx != null) {
            Parallel.shared().forEach(n, r -> {
                int o = r * d;
                float s = rstd[r];
                float dot = 0f;
                for (int i = 0; i < d; i++) dot += (w == null ? dy[o + i] : dy[o + i] * w[i]) * x[o + i] * s;
                float mean = dot / d;
                for (int i = 0; i < d; i++) {
                    float g = w == null ? dy[o + i] : dy[o + i] * w[i];
                    dx[o + i] += s * (g - x[o + i] * s * mean);
                }
            });
        }
        if (dw != null) {
            for (int r = 0; r < n; r++) {
                int o = r * d;
                float s = rstd[r];
                for (int i = 0; i < d; i++) dw[i] += dy[o + i] * x[o + i] * s;
            }
        }
    }
}
