package dev.veil.engine.kernel;

import dev.veil.model.DType;
import dev.veil.model.Quant;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activations quantized to 8 bits per block the way llama.cpp's CPU backend quantizes the input of a quantized matmul
 * (its {@code vec_dot_type}): Q8_0 (blocks of 32, f16 scale; for Q8_0 and Q5_0 weights) or Q8_K (blocks of 256, f32
 * scale, sums per 32; for Q4_K and Q6_K weights). The integers are kept twice: as shorts for the integer kernels
 * ({@link QuantKernels}, which multiply them in 16-bit lanes, exactly as llama.cpp's integer dot products) and as
 * floats for the blocked kernels and the references.
 *
 * @param q    the quantized values, {@code n × cols}
 * @param qs   the same values as shorts (widened once here rather than once per weight row in the kernels)
 * @param d    one scale per block, token-major
 * @param sums Q8_K only: the sum of each 32 values (what multiplies a Q4_K sub-block's min), token-major
 */
public record Q8Input(DType weightKind, int block, float[] q, short[] qs, float[] d, float[] sums, int n, int cols) {

    /** The activation type llama.cpp pairs with weights of {@code weights}: Q8_0 blocks of 32 or Q8_K blocks of 256. */
    public static int blockFor(DType weights) {
        return switch (weights) {
            case Q8_0, Q5_0 -> 32;
            case Q4_K, Q6_K -> Quant.QK_K;
            default -> throw new IllegalArgumentException(weights + " is not a quantized weight type");
        };
    }

    /** {@code n} rows of {@code cols} floats quantized for a product with {@code weights}-typed rows. */
    public static Q8Input of(DType weights, float[] x, int n, int cols) {
        return of(null, weights, x, n, cols);
    }

    /**
     * As {@link #of(DType, float[], int, int)}, a prompt's rows split among {@code parallel}'s threads (null: this
     * thread); each block's values are the same whichever thread quantizes it.
     */
    public static Q8Input of(Parallel parallel, DType weights, float[] x, int n, int cols) {
        int block = blockFor(weights);
        if (cols % block != 0) throw new IllegalArgumentException(cols + " columns are not whole blocks of " + block);
        float[] q = new float[n * cols], d = new float[n * cols / block];
        short[] qs = new short[q.length];
        float[] sums = block == 32 ? null : new float[n * cols / 32];
        int perRow = cols / block;
        Parallel.RangeBody rows = (from, to) -> {
            for (int b = from * perRow; b < to * perRow; b++) {
                int at = b * block;
                if (block == 32) d[b] = q8_0(x, at, q, qs);
                else d[b] = q8_K(x, at, q, qs, sums);
            }
        };
        if (parallel == null) rows.run(0, n);
        else parallel.forRows(n, rows);
        return new Q8Input(weights, block, q, qs, d, sums, n, cols);
    }

    // Vectorised (a decode token quantizes every layer's inputs), with the same arithmetic as the scalar definitions
    // in the comments: max is exact in any order, the products are the same float multiplies, and the rounding is the
    // magic-number one (below), so the results are identical (QuantizedMatMulTest). Written out in place: a helper
    // returning a vector that C2 compiled on its own boxed it (QuantKernels).

    private static final VectorSpecies<Float> F = Half.F;
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.length() * 16));
    /** 1.5·2²³: {@code (v + MAGIC) − MAGIC} is v rounded to the nearest integer, ties to even, for |v| < 2²². */
    private static final float MAGIC = 12582912f;

    /** ggml-cpu's x86 quantize_row_q8_0: scale max/127 stored as f16, values {@code rint(x · 127/max)}. */
    private static float q8_0(float[] x, int at, float[] q, short[] qs) {
        FloatVector m = FloatVector.zero(F);
        for (int j = 0; j < 32; j += F.length())
            m = ((FloatVector) F.vectorType().cast(m))
                    .max(FloatVector.fromArray(F, x, at + j).abs());
        float amax = ((FloatVector) F.vectorType().cast(m)).reduceLanes(VectorOperators.MAX);
        float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        float id = amax != 0 ? 127f / amax : 0f;
        for (int j = 0; j < 32; j += F.length()) {
            FloatVector r =
                    FloatVector.fromArray(F, x, at + j).mul(id).add(MAGIC).sub(MAGIC);
            r.intoArray(q, at + j);
            ((ShortVector) r.convertShape(VectorOperators.F2S, S, 0)).intoArray(qs, at + j);
        }
        return d;
    }

    /**
     * quantize_row_q8_K_ref: scale −max/127 of the first largest-magnitude value, values {@code min(127,
     * nearest_int(x · iscale))} (ggml's nearest_int is the same magic-number rounding), sums per 32.
     */
    private static float q8_K(float[] x, int at, float[] q, short[] qs, float[] sums) {
        FloatVector m = FloatVector.zero(F);
        for (int j = 0; j < Quant.QK_K; j += F.length())
            m = ((FloatVector) F.vectorType().cast(m))
                    .max(FloatVector.fromArray(F, x, at + j).abs());
        float amax = ((FloatVector) F.vectorType().cast(m)).reduceLanes(VectorOperators.MAX);
        if (amax == 0) return 0; // q and sums stay zero
        int first = at; // the reference keeps the first of equal magnitudes
        while (first < at + Quant.QK_K - 1 && Math.abs(x[first]) != amax) first++;
        float iscale = -127f / x[first];
        for (int g = 0; g < Quant.QK_K / 32; g++) {
            FloatVector sum = FloatVector.zero(F);
            for (int j = 32 * g; j < 32 * g + 32; j += F.length()) {
                FloatVector r = FloatVector.fromArray(F, x, at + j)
                        .mul(iscale)
                        .add(MAGIC)
                        .sub(MAGIC)
                        .min(127f);
                r.intoArray(q, at + j);
                ((ShortVector) r.convertShape(VectorOperators.F2S, S, 0)).intoArray(qs, at + j);
                sum = ((FloatVector) F.vectorType().cast(sum)).add(r);
            }
            // integers below 2^24: exact in any order
            sums[at / 32 + g] = ((FloatVector) F.vectorType().cast(sum)).reduceLanes(VectorOperators.ADD);
        }
        return 1 / iscale;
    }

    /** The activations as llama.cpp's kernels see them, {@code q × d} per block: the input of the blocked kernels. */
    public float[] dequantized() {
        float[] out = new float[q.length];
        // block by block: a division per element (block is not a constant here) cost 2.5% of a 128-token prefill (JFR)
        for (int b = 0, at = 0; b < d.length; b++, at += block) {
            float db = d[b];
            for (int i = at; i < at + block; i++) out[i] = q[i] * db;
        }
        return out;
    }
}
