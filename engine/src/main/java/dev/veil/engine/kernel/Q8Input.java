package dev.veil.engine.kernel;

import dev.veil.model.DType;
import dev.veil.model.Quant;

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
        int block = blockFor(weights);
        if (cols % block != 0) throw new IllegalArgumentException(cols + " columns are not whole blocks of " + block);
        float[] q = new float[n * cols], d = new float[n * cols / block];
        float[] sums = block == 32 ? null : new float[n * cols / 32];
        for (int b = 0; b < d.length; b++) {
            int at = b * block;
            if (block == 32) d[b] = q8_0(x, at, q);
            else d[b] = q8_K(x, at, q, sums);
        }
        short[] qs = new short[q.length];
        for (int i = 0; i < q.length; i++) qs[i] = (short) q[i];
        return new Q8Input(weights, block, q, qs, d, sums, n, cols);
    }

    /** ggml-cpu's x86 quantize_row_q8_0: scale max/127 stored as f16, values rounded half to even. */
    private static float q8_0(float[] x, int at, float[] q) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[at + j]));
        float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        float id = amax != 0 ? 127f / amax : 0f;
        for (int j = 0; j < 32; j++) q[at + j] = (float) Math.rint(x[at + j] * id);
        return d;
    }

    /** quantize_row_q8_K_ref: scale −max/127 of the largest-magnitude value, ggml's nearest_int, sums per 32. */
    private static float q8_K(float[] x, int at, float[] q, float[] sums) {
        float max = 0, amax = 0;
        for (int j = 0; j < Quant.QK_K; j++) {
            float ax = Math.abs(x[at + j]);
            if (ax > amax) {
                amax = ax;
                max = x[at + j];
            }
        }
        if (amax == 0) return 0; // q and sums stay zero
        float iscale = -127f / max;
        for (int j = 0; j < Quant.QK_K; j++) q[at + j] = Math.min(127, Quant.nearestInt(iscale * x[at + j]));
        for (int g = 0; g < Quant.QK_K / 32; g++) {
            float s = 0;
            for (int j = 0; j < 32; j++) s += q[at + 32 * g + j];
            sums[at / 32 + g] = s;
        }
        return 1 / iscale;
    }

    /** The activations as llama.cpp's kernels see them, {@code q × d} per block: the input of the blocked kernels. */
    public float[] dequantized() {
        float[] out = new float[q.length];
        for (int i = 0; i < q.length; i++) out[i] = q[i] * d[i / block];
        return out;
    }
}
