package dev.veil.train.nn;

import dev.veil.engine.kernel.Parallel;
import dev.veil.train.nn.kernel.Matmul;
import dev.veil.train.nn.kernel.VecOps;

/** {@code y = x·Wᵀ + b}: a linear layer with PyTorch's {@code [out, in]} weight and an optional bias. */
public final class Linear {
    private Linear() {}

    /** {@code x} is {@code [..., in]}, {@code w} is {@code [out, in]}, {@code bias} is {@code [out]} or null. */
    public static Var apply(Tape tape, Var x, Var w, Var bias) {
        int out = w.rows(), in = w.cols(), n = x.rows();
        if (x.cols() != in) throw new IllegalArgumentException("linear: input " + x + " does not match weight " + w);
        if (bias != null && bias.size() != out)
            throw new IllegalArgumentException("linear: bias " + bias + " for weight " + w);
        float[] y = forward(x.value(), w.value(), bias == null ? null : bias.value(), n, in, out);
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Var result = Var.result(y, tape.needsGrad(x, w, bias), shape);
        if (result.requiresGrad()) {
            tape.record(() -> backward(
                    result.gradBuffer(),
                    x.value(),
                    w.value(),
                    x.requiresGrad() ? x.gradBuffer() : null,
                    w.requiresGrad() ? w.gradBuffer() : null,
                    bias != null && bias.requiresGrad() ? bias.gradBuffer() : null,
                    n,
                    in,
                    out));
        }
        return result;
    }

    static float[] forward(float[] x, float[] w, float[] bias, int n, int in, int out) {
        float[] y = new float[n * out];
        Matmul.multiply(y, x, VecOps.transpose(w, out, in), n, in, out, false);
        if (bias != null) Parallel.shared().forEach(n, r -> VecOps.axpy(1f, bias, 0, y, r * out, out));
        return y;
    }

    /** Adds into whichever of {@code dx}, {@code dw}, {@code db} is not null. */
    static void backward(float[] dy, float[] x, float[] w, float[] dx, float[] dw, float[] db, int n, int in, int out) {
        if (dx != null) Matmul.multiply(dx, dy, w, n, out, in, true); // dx[n×in] += dy[n×out]·W[out×in]
        if (dw == null && db == null) return;
        float[] dyT = VecOps.transpose(dy, n, out);
        if (dw != null) Matmul.multiply(dw, dyT, x, out, n, in, true); // dW[out×in] += dyᵀ[out×n]·x[n×in]
        if (db != null) {
            Parallel.shared().forEach(out, o -> {
                float s = 0f;
                for (int r = 0; r < n; r++) s += dyT[o * n + r];
                db[o] += s;
            });
        }
    }
}
