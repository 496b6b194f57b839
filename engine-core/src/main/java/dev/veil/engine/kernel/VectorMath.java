package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * The weight-free element-wise steps of the forward pass, vectorised: RMSNorm, residual add, SwiGLU, softmax.
 *
 * <p>{@code (FloatVector) F.vectorType().cast(v)} before calls on a loop-carried or passed-in vector: such a vector is
 * typed only {@code FloatVector} (five subclasses), and where C2 compiled the code before it had a receiver profile
 * for those calls (a fresh JVM on a busy machine, often) they stayed virtual and the vector was boxed on every step,
 * 4-5x slower in some JVMs and not others (docs/warm-start.md). On the cast value they bind statically.
 * KernelProfileTest checks it.
 */
public final class VectorMath {

    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Butterfly shuffles for {@link #sum}: lane i swaps with lane i ^ step, for step = length/2 .. 1. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    private VectorMath() {}

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] folds = new VectorShuffle[steps];
        for (int i = 0; i < steps; i++) {
            int step = F.length() >> (i + 1);
            folds[i] = VectorShuffle.fromOp(F, lane -> lane ^ step);
        }
        return folds;
    }

    /**
     * The sum of the lanes, added in a fixed order. {@code reduceLanes(ADD)} leaves the order open, and the JIT's
     * intrinsic and the interpreter's fallback do differ, which made the same input give logits differing in the last
     * bits depending on how warm the JVM was.
     */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) {
            v = (FloatVector) F.vectorType().cast(v);
            v = v.add(v.rearrange(fold));
        }
        return ((FloatVector) F.vectorType().cast(v)).lane(0);
    }

    /** {@link #sum(FloatVector)} for doubles: the lanes added first to last (for reductions done once per row). */
    public static double sum(DoubleVector v) {
        double s = 0;
        for (int lane = 0; lane < v.length(); lane++) s += v.lane(lane);
        return s;
    }

    /**
     * {@code n} rows of {@code cols} (even) floats, each rearranged to its even elements followed by its odd ones: the
     * input layout of the BF16 "pairs" dot product ({@link #dotBF16Pairs}: the engine's {@code Matrix.dotRowBF16Pairs},
     * the Talaria client's local head) and of the engine's F16 one ({@code Matrix.dotRowF16Pairs}).
     */
    public static float[] splitPairs(float[] x, int n, int cols) {
        float[] pairs = new float[n * cols];
        int half = cols >> 1;
        for (int t = 0; t < n; t++)
            for (int i = 0; i < half; i++) {
                pairs[t * cols + i] = x[t * cols + 2 * i];
                pairs[t * cols + half + i] = x[t * cols + 2 * i + 1];
            }
        return pairs;
    }

    /**
     * {@code Σ_k w[k] · x[k]} over {@code 2 · half} bfloat16 weights {@code w} stored from byte {@code wOffset} of
     * {@code w} as {@code half} little-endian ints (element 2q in the low 16 bits of int q, 2q+1 in the high ones),
     * where {@code pairs} holds {@code x} split by {@link #splitPairs}: even elements first, then odd ones, from
     * {@code pairsOffset}. The one BF16 pairs kernel: the engine's BF16 matrices (a mapped file) and the Talaria
     * client's local head (its table's bytes in native memory) both run it, so their logits agree bit for bit.
     *
     * <p>Why: read as ints, each lane holds two bfloat16 weights, and each becomes a float with one shift or one mask
     * — no widening of short lanes to int lanes, which costs more than the multiply (measured: BF16 decode went from
     * 28 to 35+ GB/s on AVX-512). The price is an input split once per product, shared by every row.
     */
    public static float dotBF16Pairs(MemorySegment w, long wOffset, float[] pairs, int pairsOffset, int half) {
        FloatVector evenAcc = FloatVector.zero(F), oddAcc = FloatVector.zero(F);
        int q = 0;
        for (int end = F.loopBound(half); q < end; q += F.length()) {
            IntVector v = IntVector.fromMemorySegment(Half.I, w, wOffset + q * 4L, ByteOrder.LITTLE_ENDIAN);
            FloatVector even = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector odd = v.and(0xffff0000).reinterpretAsFloats();
            evenAcc = even.fma(FloatVector.fromArray(F, pairs, pairsOffset + q), evenAcc);
            oddAcc = odd.fma(FloatVector.fromArray(F, pairs, pairsOffset + half + q), oddAcc);
        }
        float sum = sum(evenAcc.add(oddAcc));
        for (; q < half; q++) {
            int v = w.get(LE_INT, wOffset + q * 4L);
            sum += Float.intBitsToFloat(v << 16) * pairs[pairsOffset + q]
                    + Float.intBitsToFloat(v & 0xffff0000) * pairs[pairsOffset + half + q];
        }
        return sum;
    }

    /** {@code Σ a[aOff + k] · b[bOff + k]} for {@code k < len}. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(F);
        int end = F.loopBound(len);
        int k = 0;
        for (; k < end; k += F.length())
            acc = FloatVector.fromArray(F, a, aOff + k).fma(FloatVector.fromArray(F, b, bOff + k), acc);
        float s = sum(acc);
        for (; k < len; k++) s += a[aOff + k] * b[bOff + k];
        return s;
    }

    /**
     * {@link #dot} with Kahan-compensated lanes and the lanes added in double: the error stays near one rounding of the
     * result however long the vectors are, where a plain float sum's grows like √len. For long sums of large terms
     * that nearly cancel — the Talaria cloud's product of a masked one-hot row over a 150k-token vocabulary — the plain
     * sum lost 1% of the small result. About 3× the arithmetic of {@link #dot}.
     */
    public static float dotCompensated(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector sum = FloatVector.zero(F), lost = FloatVector.zero(F);
        int end = F.loopBound(len);
        int k = 0;
        for (; k < end; k += F.length()) {
            FloatVector y = FloatVector.fromArray(F, a, aOff + k)
                    .fma(
                            FloatVector.fromArray(F, b, bOff + k),
                            ((FloatVector) F.vectorType().cast(lost)).neg());
            FloatVector t = ((FloatVector) F.vectorType().cast(sum)).add(y);
            lost = t.sub(sum).sub(y);
            sum = t;
        }
        double s = 0;
        sum = (FloatVector) F.vectorType().cast(sum);
        lost = (FloatVector) F.vectorType().cast(lost);
        for (int lane = 0; lane < F.length(); lane++) s += (double) sum.lane(lane) - lost.lane(lane);
        for (; k < len; k++) s += (double) a[aOff + k] * b[bOff + k];
        return (float) s;
    }

    /**
     * {@code out[outOff + d] += Σ_s w[wOff + s] · rows[rowsOff + s × rowStride + d]} for {@code d < dim},
     * {@code s < count}: attention's weighted sum of value rows. Keeps {@code dim} in register-held chunks and takes
     * two rows per step into separate accumulators, so the multiply-add latency does not serialise the rows.
     */
    public static void addWeightedRows(
            float[] w,
            int wOff,
            int count,
            float[] rows,
            int rowsOff,
            int rowStride,
            float[] out,
            int outOff,
            int dim) {
        int len = F.length();
        int d = 0;
        for (; d + 2 * len <= dim; d += 2 * len) {
            FloatVector a0 = FloatVector.fromArray(F, out, outOff + d),
                    a1 = FloatVector.fromArray(F, out, outOff + d + len);
            FloatVector b0 = FloatVector.zero(F), b1 = b0;
            int s = 0;
            for (; s + 2 <= count; s += 2) {
                FloatVector p = FloatVector.broadcast(F, w[wOff + s]), p2 = FloatVector.broadcast(F, w[wOff + s + 1]);
                int r = rowsOff + s * rowStride + d, r2 = r + rowStride;
                a0 = FloatVector.fromArray(F, rows, r).fma(p, a0);
                a1 = FloatVector.fromArray(F, rows, r + len).fma(p, a1);
                b0 = FloatVector.fromArray(F, rows, r2).fma(p2, b0);
                b1 = FloatVector.fromArray(F, rows, r2 + len).fma(p2, b1);
            }
            if (s < count) {
                FloatVector p = FloatVector.broadcast(F, w[wOff + s]);
                int r = rowsOff + s * rowStride + d;
                a0 = FloatVector.fromArray(F, rows, r).fma(p, a0);
                a1 = FloatVector.fromArray(F, rows, r + len).fma(p, a1);
            }
            a0.add(b0).intoArray(out, outOff + d);
            a1.add(b1).intoArray(out, outOff + d + len);
        }
        for (; d + len <= dim; d += len) {
            FloatVector a = FloatVector.fromArray(F, out, outOff + d);
            for (int s = 0; s < count; s++)
                a = FloatVector.fromArray(F, rows, rowsOff + s * rowStride + d)
                        .fma(FloatVector.broadcast(F, w[wOff + s]), a);
            a.intoArray(out, outOff + d);
        }
        for (; d < dim; d++) {
            float a = out[outOff + d];
            for (int s = 0; s < count; s++) a += w[wOff + s] * rows[rowsOff + s * rowStride + d];
            out[outOff + d] = a;
        }
    }

    /**
     * RMSNorm without the weight, row by row: {@code out[r] = x[r] / sqrt(mean(x[r]²) + eps)} for rows {@code [from,
     * to)} of {@code dim}. The weight γ is the backend's business (it is folded into the next matrix on the Talaria
     * cloud).
     */
    public static void rmsNorm(float[] x, int from, int to, int dim, double eps, float[] out) {
        for (int r = from; r < to; r++) {
            int off = r * dim;
            float scale = (float) (1.0 / Math.sqrt(dot(x, off, x, off, dim) / dim + eps));
            scale(x, off, scale, out, off, dim);
        }
    }

    /** {@code out[outOff + k] = s · x[xOff + k]}. */
    public static void scale(float[] x, int xOff, float s, float[] out, int outOff, int len) {
        int end = F.loopBound(len);
        int k = 0;
        for (; k < end; k += F.length())
            FloatVector.fromArray(F, x, xOff + k).mul(s).intoArray(out, outOff + k);
        for (; k < len; k++) out[outOff + k] = s * x[xOff + k];
    }

    /** {@code out[r][k] = x[r][k] · gamma[k]} for {@code rows} rows of {@code gamma.length}: an RMSNorm weight. */
    public static void mulRows(float[] x, int rows, float[] gamma, float[] out) {
        int dim = gamma.length;
        int end = F.loopBound(dim);
        for (int r = 0; r < rows; r++) {
            int off = r * dim;
            int k = 0;
            for (; k < end; k += F.length())
                FloatVector.fromArray(F, x, off + k)
                        .mul(FloatVector.fromArray(F, gamma, k))
                        .intoArray(out, off + k);
            for (; k < dim; k++) out[off + k] = x[off + k] * gamma[k];
        }
    }

    /** {@code out[r][k] += bias[k]} for {@code rows} rows of {@code bias.length}. */
    public static void addRows(float[] out, int rows, float[] bias) {
        for (int r = 0; r < rows; r++) add(out, r * bias.length, bias, 0, bias.length);
    }

    /** The residual connection: {@code acc[accOff + k] += x[xOff + k]}. */
    public static void add(float[] acc, int accOff, float[] x, int xOff, int len) {
        int end = F.loopBound(len);
        int k = 0;
        for (; k < end; k += F.length())
            FloatVector.fromArray(F, acc, accOff + k)
                    .add(FloatVector.fromArray(F, x, xOff + k))
                    .intoArray(acc, accOff + k);
        for (; k < len; k++) acc[accOff + k] += x[xOff + k];
    }

    /**
     * SwiGLU: for each of the rows {@code [from, to)} laid out as {@code [gate (dim) | up (dim)]},
     * {@code out[r][k] = silu(gate[k]) · up[k]} with {@code silu(g) = g / (1 + e^-g)}.
     */
    public static void swiGlu(float[] gateUp, int from, int to, int dim, float[] out) {
        int end = F.loopBound(dim);
        for (int r = from; r < to; r++) {
            int g = 2 * r * dim, u = g + dim, o = r * dim;
            int k = 0;
            for (; k < end; k += F.length()) {
                FloatVector gate = FloatVector.fromArray(F, gateUp, g + k);
                FloatVector silu = gate.div(exp(gate.neg()).add(1f));
                silu.mul(FloatVector.fromArray(F, gateUp, u + k)).intoArray(out, o + k);
            }
            for (; k < dim; k++) {
                float gate = gateUp[g + k];
                out[o + k] = gate / (1f + exp(-gate)) * gateUp[u + k];
            }
        }
    }

    /** In-place softmax of {@code a[off .. off + len)}. */
    public static void softmax(float[] a, int off, int len) {
        int end = F.loopBound(len);
        float max = Float.NEGATIVE_INFINITY;
        int k = 0;
        if (end > 0) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; k < end; k += F.length())
                m = ((FloatVector) F.vectorType().cast(m)).max(FloatVector.fromArray(F, a, off + k));
            max = ((FloatVector) F.vectorType().cast(m)).reduceLanes(VectorOperators.MAX);
        }
        for (; k < len; k++) max = Math.max(max, a[off + k]);
        FloatVector sumV = FloatVector.zero(F);
        k = 0;
        for (; k < end; k += F.length()) {
            FloatVector e = exp(FloatVector.fromArray(F, a, off + k).sub(max));
            e.intoArray(a, off + k);
            sumV = ((FloatVector) F.vectorType().cast(sumV)).add(e);
        }
        float sum = sum(sumV);
        for (; k < len; k++) {
            float e = exp(a[off + k] - max);
            a[off + k] = e;
            sum += e;
        }
        scale(a, off, 1f / sum, a, off, len);
    }

    // e^x from lanewise IEEE operations only (Cephes' expf: x = n·ln2 + r, a degree-5 polynomial in r, then 2^n).
    // Not lanewise(EXP): once C2 compiles it, it is an SVML call whose result differs in the last bit from the
    // interpreter's Math.exp in about 1% of lanes, so the same prompt gave different logits depending on how warm the
    // JVM was. The scalar twin does the same arithmetic in the same order, so a value gets the same bits in a lane or
    // in a loop tail. The clamp needs no special cases: e^-104.5 rounds to 0, e^89 overflows to infinity, NaN stays.
    private static final float EXP_HI = 89f, EXP_LO = -104.5f, LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f, ROUND = 0x1.8p23f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x in each lane, the same bits whether interpreted or compiled (within 3 ulp of the exact value). */
    public static FloatVector exp(FloatVector x) {
        FloatVector c = ((FloatVector) F.vectorType().cast(x)).max(EXP_LO).min(EXP_HI);
        FloatVector t = c.fma(LOG2E, ROUND); // n = round(c·log2 e) sits in t's low mantissa bits
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(splat(-LN2_HI), c).add(n.mul(-LN2_LO));
        FloatVector p = r.fma(P0, P1)
                .fma(r, splat(P2))
                .fma(r, splat(P3))
                .fma(r, splat(P4))
                .fma(r, splat(P5));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n as two powers of two, each a normal float, for n from -151 to 128
        IntVector ni = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        return y.mul(pow2(half)).mul(pow2(ni.sub(half)));
    }

    /** {@link #exp(FloatVector)} for one value: the same operations, so the same bits. */
    public static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(c, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, c) + n * -LN2_LO;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float y = p * (r * r) + r + 1f;
        int ni = Float.floatToRawIntBits(t) - ROUND_BITS, half = ni >> 1;
        return y * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((ni - half + 127) << 23);
    }

    private static FloatVector splat(float v) {
        return FloatVector.broadcast(F, v);
    }

    private static FloatVector pow2(IntVector e) {
        return e.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }
}
