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
        float[] out = tape.uninitialized(g.length);
        int d = gate.cols(), n = gate.rows();
        Parallel.shared().forRange(g.length, 1024, (from, to) -> VecOps.swiGlu(g, u, out, from, to));
        Var result = Var.result(tape, out, tape.needsGrad(gate, up), gate.shape());
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

    static void backward(float[] dy, float[] g, float[] u, float[] dg, float[] du, int n, int d) {
        Parallel.shared().forRange(n * d, 1024, (from, to) -> VecOps.swiGluBackward(dy, g, u, dg, du, from, to));
    }
}
