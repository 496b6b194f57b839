package dev.veil.train.nn.kernel;

import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorised reductions over slices of float arrays, in a fixed summation order (deterministic). */
public final class VecOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();

    private VecOps() {}

    /** Σ a[ao+i]·b[bo+i] for i < len (the engine's kernel). */
    public static float dot(float[] a, int ao, float[] b, int bo, int len) {
        return VectorMath.dot(a, ao, b, bo, len);
    }

    /** y[yo+i] += alpha·x[xo+i] for i < len (the engine's kernel). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        VectorMath.axpy(alpha, x, xo, y, yo, len);
    }

    /** max of x[xo .. xo+len). */
    public static float max(float[] x, int xo, int len) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (len >= V) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int bound = S.loopBound(len); i < bound; i += V) acc = acc.max(FloatVector.fromArray(S, x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < len; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** Σ exp(x[xo+i] − shift) for i < len, in double across vector chunks. */
    public static double sumExp(float[] x, int xo, int len, float shift) {
        int i = 0;
        double sum = 0;
        FloatVector sh = FloatVector.broadcast(S, shift);
        for (int bound = S.loopBound(len); i < bound; i += V)
            sum += FloatVector.fromArray(S, x, xo + i).sub(sh).lanewise(VectorOperators.EXP).reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) sum += Math.exp(x[xo + i] - shift);
        return sum;
    }

    /** y[yo+i] += scale·exp(x[xo+i] − shift) for i < len. */
    public static void addScaledExp(float[] x, int xo, float shift, float scale, float[] y, int yo, int len) {
        int i = 0;
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector sc = FloatVector.broadcast(S, scale);
        for (int bound = S.loopBound(len); i < bound; i += V) {
            FloatVector e = FloatVector.fromArray(S, x, xo + i).sub(sh).lanewise(VectorOperators.EXP);
            e.fma(sc, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < len; i++) y[yo + i] += scale * (float) Math.exp(x[xo + i] - shift);
    }

    /** Transpose of the row-major {@code rows × cols} matrix {@code a} (a new {@code cols × rows} array). */
    public static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        final int B = 32; // tiles keep both the reads and the writes cache-friendly
        Parallel.shared().forEach((rows + B - 1) / B, bi -> {
            int r0 = bi * B, r1 = Math.min(rows, r0 + B);
            for (int c0 = 0; c0 < cols; c0 += B) {
                int c1 = Math.min(cols, c0 + B);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) t[c * rows + r] = a[r * cols + c];
            }
        });
        return t;
    }
}
