package dev.veil.train.nn;

import dev.veil.engine.kernel.Gemm;
import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;

/**
 * {@code y = x·Wᵀ + b}: a linear layer with PyTorch's {@code [out, in]} weight and an optional bias. All three
 * products run on the engine's {@link Gemm}, reading W, dy and x in place (no transposed copies).
 */
public final class Linear {
    private Linear() {}

    /** {@code x} is {@code [..., in]}, {@code w} is {@code [out, in]}, {@code bias} is {@code [out]} or null. */
    public static Var apply(Tape tape, Var x, Var w, Var bias) {
        int out = w.rows(), in = w.cols(), n = x.rows();
        if (x.cols() != in) throw new IllegalArgumentException("linear: input " + x + " does not match weight " + w);
        if (bias != null && bias.size() != out)
            throw new IllegalArgumentException("linear: bias " + bias + " for weight " + w);
        float[] y = tape.uninitialized(n * out);
        forward(y, x.value(), w.value(), bias == null ? null : bias.value(), n, in, out);
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Var result = Var.result(tape, y, tape.needsGrad(x, w, bias), shape);
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

    static void forward(float[] y, float[] x, float[] w, float[] bias, int n, int in, int out) {
        Gemm.multiply(Parallel.shared(), n, out, in, x, 0, in, false, w, 0, in, true, y, 0, out, false);
        if (bias != null) VectorMath.addRows(y, n, bias);
    }

    /** Adds into whichever of {@code dx}, {@code dw}, {@code db} is not null. */
    static void backward(float[] dy, float[] x, float[] w, float[] dx, float[] dw, float[] db, int n, int in, int out) {
        Parallel p = Parallel.shared();
        if (dx != null) Gemm.multiply(p, n, in, out, dy, 0, out, false, w, 0, in, false, dx, 0, in, true); // dy·W
        if (dw != null) Gemm.multiply(p, out, in, n, dy, 0, out, true, x, 0, in, false, dw, 0, in, true); // dyᵀ·x
        if (db != null) for (int r = 0; r < n; r++) VectorMath.add(db, 0, dy, r * out, out); // rows in order
    }
}
