package dev.veil.train.nn.kernel;

import static dev.veil.engine.kernel.VectorMath.exp;

import dev.veil.engine.kernel.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised helpers whose results do not depend on how the JIT compiled them. Training must give bit-identical
 * weights for a seed, but two Vector API operations do not promise that: {@code reduceLanes(ADD)} may sum the
 * lanes in any order (the interpreter and the compiled intrinsic differ), and {@code lanewise(EXP)} is a
 * different function when compiled (a vector math library) than when interpreted. So lanes are summed in a
 * fixed order ({@link VectorMath#sum}), and e^x is {@link VectorMath#exp}, a fixed polynomial built from exactly
 * rounded operations only.
 */
public final class VecOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();

    private VecOps() {}

    /** The lanes of {@code v} summed in the engine's fixed order (no allocation: this runs once per row). */
    static float sumLanes(FloatVector v) {
        return VectorMath.sum(v);
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

    /** {@code x[xo .. xo+len) = softmax(scale · x)} in place ({@code scale} > 0), with the fixed-order sums above. */
    public static void scaledSoftmax(float[] x, int xo, int len, float scale) {
        float shift = max(x, xo, len) * scale; // max(scale·x) = scale·max(x): rounding is monotonic
        FloatVector sh = FloatVector.broadcast(S, shift), sc = FloatVector.broadcast(S, scale);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += V) {
            FloatVector e = exp(FloatVector.fromArray(S, x, xo + i).mul(sc).sub(sh));
            e.intoArray(x, xo + i);
            acc = acc.add(e);
        }
        float sum = sumLanes(acc);
        for (; i < len; i++) {
            float e = exp(x[xo + i] * scale - shift);
            x[xo + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        i = 0;
        for (int bound = S.loopBound(len); i < bound; i += V)
            FloatVector.fromArray(S, x, xo + i).mul(inv).intoArray(x, xo + i);
        for (; i < len; i++) x[xo + i] *= inv;
    }

    /**
     * The backward of {@link #scaledSoftmax} over one row, in place: {@code d[i] = p[i]·(d[i] − Σ_j p[j]·d[j])·scale}
     * with {@code d} = dL/dp on entry and dL/d(pre-scale input) on return.
     */
    public static void softmaxBackward(float[] p, int po, float[] d, int dOff, int len, float scale) {
        float dot = VectorMath.dot(p, po, d, dOff, len);
        FloatVector dv = FloatVector.broadcast(S, dot);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += V)
            FloatVector.fromArray(S, p, po + i)
                    .mul(FloatVector.fromArray(S, d, dOff + i).sub(dv))
                    .mul(scale)
                    .intoArray(d, dOff + i);
        for (; i < len; i++) d[dOff + i] = p[po + i] * (d[dOff + i] - dot) * scale;
    }

    /** {@code out[i] = silu(g[i])·u[i]} for i in {@code [from, to)}, with {@code silu(g) = g / (1 + e^−g)}. */
    public static void swiGlu(float[] g, float[] u, float[] out, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector sig = exp(gv.neg()).add(1f);
            gv.div(sig).mul(FloatVector.fromArray(S, u, i)).intoArray(out, i);
        }
        for (; i < to; i++) out[i] = g[i] / (1f + exp(-g[i])) * u[i];
    }

    /**
     * The backward of {@link #swiGlu} over {@code [from, to)}: {@code du += dy·silu(g)},
     * {@code dg += dy·u·σ(g)·(1 + g·(1 − σ(g)))}; either may be null.
     */
    public static void swiGluBackward(float[] dy, float[] g, float[] u, float[] dg, float[] du, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += V) {
            FloatVector gv = FloatVector.fromArray(S, g, i), d = FloatVector.fromArray(S, dy, i);
            FloatVector sig = FloatVector.broadcast(S, 1f).div(exp(gv.neg()).add(1f));
            if (du != null)
                d.mul(gv).mul(sig).add(FloatVector.fromArray(S, du, i)).intoArray(du, i);
            if (dg != null)
                d.mul(FloatVector.fromArray(S, u, i))
                        .mul(sig)
                        .mul(gv.mul(sig.neg().add(1f)).add(1f))
                        .add(FloatVector.fromArray(S, dg, i))
                        .intoArray(dg, i);
        }
        for (; i < to; i++) {
            float sig = 1f / (1f + exp(-g[i]));
            if (du != null) du[i] += dy[i] * g[i] * sig;
            if (dg != null) dg[i] += dy[i] * u[i] * sig * (1f + g[i] * (1f - sig));
        }
    }
}
