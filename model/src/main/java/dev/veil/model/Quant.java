package dev.veil.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * ggml's block formats Q8_0, Q5_0, Q4_K and Q6_K, bit for bit as ggml lays them out (ggml-common.h), with llama.cpp's
 * reference quantizers ({@code quantize_row_*_ref} in ggml-quants.c, no importance matrix) and dequantizers ported
 * line by line, so a row Veil quantizes is the row {@code llama-quantize} writes from the same floats (LlamaQuantizeTest:
 * byte-identical files for the bundled model). This is the
 * scalar codec (writing, reading for conversion, tests); the engine multiplies blocks in place with its own kernels.
 */
public final class Quant {
    private Quant() {}

    /** Elements per K-quant super-block (ggml's QK_K). */
    public static final int QK_K = 256;

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** ggml's GROUP_MAX_EPS: groups whose largest magnitude is below this quantize to zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    /** Quantizes {@code n} floats (whole blocks) from {@code x[xOff]} into {@code dst} at byte {@code dstOff}. */
    public static void quantize(DType type, float[] x, int xOff, int n, MemorySegment dst, long dstOff) {
        check(type, n);
        int blocks = n / type.blockSize;
        for (int b = 0; b < blocks; b++) {
            int at = xOff + b * type.blockSize;
            long out = dstOff + (long) b * type.bytes;
            switch (type) {
                case Q8_0 -> q8_0(x, at, dst, out);
                case Q5_0 -> q5_0(x, at, dst, out);
                case Q4_K -> q4_K(x, at, dst, out);
                case Q6_K -> q6_K(x, at, dst, out);
                default -> throw new IllegalArgumentException(type + " is not a quantized type");
            }
        }
    }

    /** Dequantizes {@code n} elements (whole blocks) from byte {@code srcOff} of {@code src} into {@code y[yOff..]}. */
    public static void dequantize(DType type, MemorySegment src, long srcOff, float[] y, int yOff, int n) {
        check(type, n);
        int blocks = n / type.blockSize;
        for (int b = 0; b < blocks; b++) {
            long in = srcOff + (long) b * type.bytes;
            int at = yOff + b * type.blockSize;
            switch (type) {
                case Q8_0 -> {
                    float d = f16(src, in);
                    for (int j = 0; j < 32; j++) y[at + j] = src.get(ValueLayout.JAVA_BYTE, in + 2 + j) * d;
                }
                case Q5_0 -> {
                    float d = f16(src, in);
                    int qh = src.get(I32, in + 2);
                    for (int j = 0; j < 16; j++) {
                        int q = u8(src, in + 6 + j);
                        int x0 = ((q & 0x0F) | (((qh >>> j) << 4) & 0x10)) - 16;
                        int x1 = ((q >>> 4) | ((qh >>> (j + 12)) & 0x10)) - 16;
                        y[at + j] = x0 * d;
                        y[at + j + 16] = x1 * d;
                    }
                }
                case Q4_K -> {
                    float d = f16(src, in), min = f16(src, in + 2);
                    for (int j = 0; j < 4; j++) {
                        float d1 = d * scaleK4(src, in + 4, 2 * j), m1 = min * minK4(src, in + 4, 2 * j);
                        float d2 = d * scaleK4(src, in + 4, 2 * j + 1), m2 = min * minK4(src, in + 4, 2 * j + 1);
                        long q = in + 16 + 32L * j;
                        for (int l = 0; l < 32; l++) y[at + 64 * j + l] = d1 * (u8(src, q + l) & 0xF) - m1;
                        for (int l = 0; l < 32; l++) y[at + 64 * j + 32 + l] = d2 * (u8(src, q + l) >>> 4) - m2;
                    }
                }
                case Q6_K -> {
                    float d = f16(src, in + 208);
                    for (int half = 0; half < 2; half++) {
                        long ql = in + 64L * half, qh = in + 128 + 32L * half, sc = in + 192 + 8L * half;
                        int o = at + 128 * half;
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16, h = u8(src, qh + l);
                            int q1 = ((u8(src, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                            int q2 = ((u8(src, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                            int q3 = ((u8(src, ql + l) >>> 4) | (((h >> 4) & 3) << 4)) - 32;
                            int q4 = ((u8(src, ql + l + 32) >>> 4) | (((h >> 6) & 3) << 4)) - 32;
                            y[o + l] = d * src.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                            y[o + l + 32] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                            y[o + l + 64] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                            y[o + l + 96] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                        }
                    }
                }
                default -> throw new IllegalArgumentException(type + " is not a quantized type");
            }
        }
    }

    /** The 6-bit scale of sub-block {@code j} of a Q4_K block whose 12 scale bytes start at {@code s} (get_scale_min_k4). */
    public static int scaleK4(MemorySegment seg, long s, int j) {
        return j < 4 ? u8(seg, s + j) & 63 : (u8(seg, s + j + 4) & 0xF) | ((u8(seg, s + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j} of a Q4_K block (get_scale_min_k4). */
    public static int minK4(MemorySegment seg, long s, int j) {
        return j < 4 ? u8(seg, s + j + 4) & 63 : (u8(seg, s + j + 4) >>> 4) | ((u8(seg, s + j) >>> 6) << 4);
    }

    /** {@link #scaleK4(MemorySegment, long, int)} on a block copied to an array. */
    public static int scaleK4(byte[] b, int s, int j) {
        return j < 4 ? b[s + j] & 63 : (b[s + j + 4] & 0xF) | ((b[s + j - 4] & 0xFF) >>> 6 << 4);
    }

    /** {@link #minK4(MemorySegment, long, int)} on a block copied to an array. */
    public static int minK4(byte[] b, int s, int j) {
        return j < 4 ? b[s + j + 4] & 63 : (b[s + j + 4] & 0xFF) >>> 4 | ((b[s + j] & 0xFF) >>> 6 << 4);
    }

    public static float f16(MemorySegment seg, long at) {
        return Float.float16ToFloat(seg.get(I16, at));
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    private static void check(DType type, int n) {
        if (!type.isQuantized()) throw new IllegalArgumentException(type + " is not a quantized type");
        if (n % type.blockSize != 0)
            throw new IllegalArgumentException(n + " elements are not whole " + type + " blocks of " + type.blockSize);
    }

    /** ggml's nearest_int: round half to even through the float magic-number trick (|v| ≤ 4194303). */
    public static int nearestInt(float v) {
        int i = Float.floatToRawIntBits(v + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /** f32 → f16 → f32, as a scale stored in a block reads back. */
    private static float viaF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    // --- quantize_row_*_ref -----------------------------------------------------------------------------------

    private static void q8_0(float[] x, int at, MemorySegment dst, long out) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[at + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(I16, out, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, out + 2 + j, (byte) roundf(x[at + j] * id));
    }

    /** C's roundf: half away from zero. */
    private static float roundf(float v) {
        return Math.copySign((float) Math.floor(Math.abs(v) + 0.5f), v);
    }

    private static void q5_0(float[] x, int at, MemorySegment dst, long out) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[at + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(I16, out, Float.floatToFloat16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            float x0 = x[at + j] * id, x1 = x[at + 16 + j] * id;
            int xi0 = Math.min(31, (byte) (int) (x0 + 16.5f)) & 0xff,
                    xi1 = Math.min(31, (byte) (int) (x1 + 16.5f)) & 0xff;
            dst.set(ValueLayout.JAVA_BYTE, out + 6 + j, (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        dst.set(I32, out + 2, qh);
    }

    private static void q4_K(float[] x, int at, MemorySegment dst, long out) {
        int[] L = new int[QK_K], laux = new int[32];
        float[] weights = new float[32], mins = new float[8], scales = new float[8], theMin = new float[1];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[at + 32 * j + l] * x[at + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[at + 32 * j + l]);
            scales[j] = makeQkx2Quants(32, 15, x, at + 32 * j, weights, L, 32 * j, theMin, laux, -1f, 0.1f, 20);
            mins[j] = theMin[0];
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] sc = new byte[12];
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xff),
                    lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xff);
            if (j < 4) {
                sc[j] = (byte) ls;
                sc[j + 4] = (byte) lm;
            } else {
                sc[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                sc[j - 4] |= (byte) ((ls >> 4) << 6);
                sc[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        dst.set(I16, out, Float.floatToFloat16(maxScale / 63f));
        dst.set(I16, out + 2, Float.floatToFloat16(maxMin / 63f));
        MemorySegment.copy(sc, 0, dst, ValueLayout.JAVA_BYTE, out + 4, 12);
        float dAll = f16(dst, out), dminAll = f16(dst, out + 2);
        for (int j = 0; j < 8; j++) {
            float d = dAll * scaleK4(dst, out + 4, j);
            if (d == 0) continue;
            float dm = dminAll * minK4(dst, out + 4, j);
            for (int ii = 0; ii < 32; ii++)
                L[32 * j + ii] = Math.max(0, Math.min(15, nearestInt((x[at + 32 * j + ii] + dm) / d)));
        }
        for (int j = 0; j < QK_K; j += 64)
            for (int l = 0; l < 32; l++)
                dst.set(ValueLayout.JAVA_BYTE, out + 16 + j / 2 + l, (byte) (L[j + l] | (L[j + l + 32] << 4)));
    }

    private static float makeQkx2Quants(
            int n,
            int nmax,
            float[] x,
            int xo,
            float[] weights,
            int[] L,
            int lo,
            float[] theMin,
            int[] laux,
            float rmin,
            float rdelta,
            int nstep) {
        float min = x[xo], max = x[xo], sumW = weights[0], sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            if (x[xo + i] < min) min = x[xo + i];
            if (x[xo + i] > max) max = x[xo + i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[xo + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min), scale = 1 / iscale, bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            L[lo + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * L[lo + i] + min - x[xo + i];
            bestError += weights[i] * diff * diff;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xo + i] - min))));
                laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    curError += weights[i] * diff * diff;
                }
                if (curError < bestError) {
                    for (int i = 0; i < n; i++) L[lo + i] = laux[i];
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    private static void q6_K(float[] x, int at, MemorySegment dst, long out) {
        int[] L = new int[QK_K];
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, at + 16 * ib, L, 16 * ib);
            scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            dst.asSlice(out, 210).fill((byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        dst.set(I16, out + 208, Float.floatToFloat16(1 / iscale));
        float dAll = f16(dst, out + 208);
        for (int ib = 0; ib < 16; ib++)
            dst.set(ValueLayout.JAVA_BYTE, out + 192 + ib, (byte) Math.min(127, nearestInt(iscale * scales[ib])));
        for (int j = 0; j < 16; j++) {
            float d = dAll * dst.get(ValueLayout.JAVA_BYTE, out + 192 + j);
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++)
                L[16 * j + ii] = Math.max(-32, Math.min(31, nearestInt(x[at + 16 * j + ii] / d))) + 32;
        }
        for (int j = 0, half = 0; j < QK_K; j += 128, half++) {
            long ql = out + 64L * half, qh = out + 128 + 32L * half;
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                dst.set(ValueLayout.JAVA_BYTE, ql + l, (byte) (q1 | (q3 << 4)));
                dst.set(ValueLayout.JAVA_BYTE, ql + l + 32, (byte) (q2 | (q4 << 4)));
                dst.set(ValueLayout.JAVA_BYTE, qh + l, (byte) ((L[j + l] >> 4)
                        | ((L[j + l + 32] >> 4) << 2)
                        | ((L[j + l + 64] >> 4) << 4)
                        | ((L[j + l + 96] >> 4) << 6)));
            }
        }
    }

    /** make_qx_quants with rmse_type 1 and no importance weights (what quantize_row_q6_K_ref calls). */
    private static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max, sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
            L[lo + i] = l + nmax;
            float w = x[xo + i] * x[xo + i];
            sumlx += w * x[xo + i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f, best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
                float w = x[xo + i] * x[xo + i];
                sumlx += w * x[xo + i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++)
                    L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}
