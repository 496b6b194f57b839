package dev.veil.train.nn.kernel;

import dev.veil.engine.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised helpers whose results do not depend on how the JIT compiled them. Training must give bit-identical
 * weights for a seed, but two Vector API operations do not promise that: {@code reduceLanes(ADD)} may sum the
 * lanes in any order (the interpreter and the compiled intrinsic differ), and {@code lanewise(EXP)} is a
 * different function when compiled (a vector math library) than when interpreted. So lanes are summed here in
 * index order, and {@link #exp} is a fixed polynomial built from exactly rounded operations only.
 */
public final class VecOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    static final int V = S.length();

    private VecOps() {}

    /** The lanes of {@code v} summed in index order. */
    static float sumLanes(FloatVector v) {
        float[] lanes = new float[V];
        v.intoArray(lanes, 0);
        float s = 0f;
        for (float x : lanes) s += x;
        return s;
    }

    /** Σ a[ao+i]·b[bo+i] for i < len. */
    public static float dot(float[] a, int ao, float[] b, int bo, int len) {
        int i = 0;
        float sum = 0f;
        if (len >= V) {
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(len); i < bound; i += V)
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            sum = sumLanes(acc);
        }
        for (; i < len; i++) sum = Math.fma(a[ao + i], b[bo + i], sum);
        return sum;
    }

    /** y[yo+i] += alpha·x[xo+i] for i < len. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (int bound = S.loopBound(len); i < bound; i += V)
            FloatVector.fromArray(S, x, xo + i)
                    .fma(va, FloatVector.fromArray(S, y, yo + i))
                    .intoArray(y, yo + i);
        for (; i < len; i++) y[yo + i] = Math.fma(x[xo + i], alpha, y[yo + i]);
    }

    /** max of x[xo .. xo+len) (a max is exact in any order). */
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

    // exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 (two-part ln 2), e^r by Cephes' expf polynomial
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5·2^23: adding and subtracting it rounds to an integer
    private static final float LO = -87.0f, HI = 88.0f;
    private static final float P0 = 1.9875691500e-4f,
            P1 = 1.3981999507e-3f,
            P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f,
            P5 = 5.0000001201e-1f;

    /** e^x to about 2 ulp, for x in [−87, 88] (clamped outside): the same bits in every lane, tier and call. */
    public static float exp(float x) {
        x = Math.min(Math.max(x, LO), HI);
        float n = (x * LOG2E + ROUND) - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /** {@link #exp(float)} of every lane. */
    public static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, P0)
                .fma(r, FloatVector.broadcast(S, P1))
                .fma(r, FloatVector.broadcast(S, P2))
                .fma(r, FloatVector.broadcast(S, P3))
                .fma(r, FloatVector.broadcast(S, P4))
                .fma(r, FloatVector.broadcast(S, P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector bits =
                ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** Σ exp(x[xo+i] − shift) for i < len. */
    public static float sumExp(float[] x, int xo, int len, float shift) {
        int i = 0;
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(len); i < bound; i += V)
            acc = acc.add(exp(FloatVector.fromArray(S, x, xo + i).sub(sh)));
        float sum = sumLanes(acc);
        for (; i < len; i++) sum += exp(x[xo + i] - shift);
        return sum;
    }

    /** y[yo+i] += scale·exp(x[xo+i] − shift) for i < len. */
    public static void addScaledExp(float[] x, int xo, float shift, float scale, float[] y, int yo, int len) {
        int i = 0;
        FloatVector sh = FloatVector.broadcast(S, shift);
        FloatVector sc = FloatVector.broadcast(S, scale);
        for (int bound = S.loopBound(len); i < bound; i += V)
            exp(FloatVector.fromArray(S, x, xo + i).sub(sh))
                    .fma(sc, FloatVector.fromArray(S, y, yo + i))
                    .intoArray(y, yo + i);
        for (; i < len; i++) y[yo + i] = Math.fma(exp(x[xo + i] - shift), scale, y[yo + i]);
    }

    /** Transpose of the row-major {@code rows × cols} matrix {@code a} (a new {@code cols × rows} array). */
    public static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        transpose(a, rows, cols, t);
        return t;
    }

    public static void transpose(float[] a, int rows, int cols, float[] t) {
        final int B = 32; // tiles keep both the reads and the writes cache-friendly
        Parallel.shared()
                .forEach((rows + B - 1) / B, bi -> transposeRows(a, rows, cols, t, bi * B, Math.min(rows, bi * B + B)));
    }

    /** {@link #transpose(float[], int, int)} on the calling thread only (inside a parallel task). */
    public static float[] transposeSerial(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        transposeRows(a, rows, cols, t, 0, rows);
        return t;
    }

    /** Transposes rows {@code r0..r1-1} only (single-threaded, for use inside a parallel task). */
    public static void transposeRows(float[] a, int rows, int cols, float[] t, int r0, int r1) {
        final int B = 32;
        for (int c0 = 0; c0 < cols; c0 += B) {
            int c1 = Math.min(cols, c0 + B);
            for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) t[c * rows + r] = a[r * cols + c];
        }
    }
}
