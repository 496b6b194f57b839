package dev.veil.train.nn;

import dev.veil.engine.kernel.Parallel;
import dev.veil.train.nn.kernel.VecOps;

/** {@code silu(gate) · up}: the gated activation of the Llama/Qwen2 MLP. */
public final class SwiGlu {
    private SwiGlu() {}

    public static Var apply(Tape tape, Var gate, Var up) {
        if (gate.size() != up.size())
            throw new IllegalArgumentException("swiglu: gate " + gate + " and up " + up + " differ");
        float[] g = gate.value(), u = up.value();
        float[] out = new float[g.length];
        int d = gate.cols(), n = gate.rows();
        Parallel.shared().forEach(n, r -> {
            for (int i = r * d, end = i + d; i < end; i++) out[i] = silu(g[i]) * u[i];
        });
        Var result = Var.result(out, tape.needsGrad(gate, up), gate.shape());
        if (result.requiresGrad()) {
            tape.record(() -> backward(
                    result.gradBuffer(),
                    g,
                    u,
                    gate.requiresGrad() ? gate.gradBuffer() : null,
                    up.requiresGrad() ? up.gradBuffer() : null,
                    n,
                    d));
        }
        return result;
    }

    static float silu(float x) {
        return x * sigmoid(x);
    }

    static float sigmoid(float x) {
        return 1f / (1f + VecOps.exp(-x));
    }

    /** silu'(g) = σ(g)·(1 + g·(1 − σ(g))). */
    static void backward(float[] dy, float[] g, float[] u, float[] dg, float[] du, int n, int d) {
        Parallel.shared().forEach(n, r -> {
            for (int i = r * d, end = i + d; i < end; i++) {
                float sig = sigmoid(g[i]);
                if (du != null) du[i] += dy[i] * g[i] * sig;
                if (dg != null) dg[i] += dy[i] * u[i] * sig * (1f + g[i] * (1f - sig));
            }
        });
    }
}
