package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;
import static dev.veil.engine.kernel.Half.I;

import dev.veil.model.Quant;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of ggml block-quantized weight rows (Q8_0, Q5_0, Q4_K, Q6_K) with activations quantized to 8 bits
 * ({@link Q8Input}), read in place from the (mapped) weights, plus the dequantization of 32-element groups that the
 * blocked kernels and the embedding lookup use.
 *
 * <p>Each block's integers are widened to float lanes in registers; products of integers and their per-block sums are
 * exact in float, so a block contributes exactly llama.cpp's integer dot product times its scales. The block's vector
 * is scaled into one accumulator per row, whose lanes are added once at the end (no horizontal sum per block). One
 * loop per type, no type switch inside (see {@link Matrix}). Needs vectors of at least 8 floats (AVX2); narrower CPUs
 * take {@link #dotDequantized}.
 */
final class QuantKernels {
    private QuantKernels() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    /** True when the vector kernels apply: byte vectors of {@link #L} lanes exist from 8 lanes (64 bits) on. */
    static final boolean VECTOR = L == 8 || L == 16;
    /** Bytes with as many lanes as {@link #F}. */
    private static final VectorSpecies<Byte> B =
            VECTOR ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Lane indices 0..L-1 (Q5_0's high-bit shifts). */
    private static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(I16, at));
    }

    // Conversions are written out in place, not in helpers: a helper C2 had already compiled on its own was not
    // inlined into the kernels, and every vector it returned was boxed (Q6_K: 26 MB per product, 4× slower; measured).

    /**
     * The lanes of a row's accumulator summed first to last. Not {@link VectorMath#sum}: its shuffles come from an
     * array, so C2 did not inline the rearrange, kept the accumulator boxed and allocated a box per block of the loop
     * (11 MB per 2816×1024 Q8_0 product, 5× slower; measured, JDK 25). Not {@code reduceLanes}: its order changes
     * once compiled (see {@link VectorMath#sum}).
     */
    private static float lanes(FloatVector acc, float[] l) {
        acc.intoArray(l, 0);
        float s = 0;
        for (float v : l) s += v;
        return s;
    }

    // --- products: rows [r0, r1) of w times tokens [t0, t1) of a, into out[t × outStride + outCol + r] -------------
    // The row and token loops are inside each kernel: called per row from a loop elsewhere, C2 inlined the kernel
    // there and compiled it about 4× slower (measured, JDK 25); as one method per type it compiles as a unit.

    static void rowsQ8_0(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / 32;
        float[] q = a.q(), d = a.d(), lanes = new float[L];
        for (int r = r0; r < r1; r++) {
            long row = (long) r * blocks * 34;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector acc = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = row + b * 34L;
                    FloatVector blk = FloatVector.zero(F);
                    for (int j = 0; j < 32; j += L)
                        blk = ((FloatVector) ByteVector.fromMemorySegment(B, s, at + 2 + j, LE)
                                        .convertShape(VectorOperators.B2F, F, 0))
                                .fma(FloatVector.fromArray(F, q, x + 32 * b + j), blk);
                    acc = blk.fma(FloatVector.broadcast(F, f16(s, at) * d[db + b]), acc);
                }
                out[t * outStride + outCol + r] = lanes(acc, lanes);
            }
        }
    }

    static void rowsQ5_0(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / 32;
        float[] q = a.q(), d = a.d(), lanes = new float[L];
        for (int r = r0; r < r1; r++) {
            long row = (long) r * blocks * 22;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector acc = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = row + b * 22L;
                    IntVector qh = IntVector.broadcast(I, s.get(I32, at + 2));
                    FloatVector blk = FloatVector.zero(F);
                    for (int j = 0; j < 16; j += L) {
                        IntVector qs = ((IntVector) ByteVector.fromMemorySegment(B, s, at + 6 + j, LE)
                                .convertShape(VectorOperators.B2I, I, 0));
                        IntVector shift = IOTA.add(j);
                        IntVector lo = qs.and(0xF)
                                .or(qh.lanewise(VectorOperators.LSHR, shift)
                                        .and(1)
                                        .lanewise(VectorOperators.LSHL, 4))
                                .sub(16);
                        IntVector hi = qs.lanewise(VectorOperators.ASHR, 4)
                                .and(0xF)
                                .or(qh.lanewise(VectorOperators.LSHR, shift.add(16))
                                        .and(1)
                                        .lanewise(VectorOperators.LSHL, 4))
                                .sub(16);
                        blk = ((FloatVector) (lo).convertShape(VectorOperators.I2F, F, 0))
                                .fma(FloatVector.fromArray(F, q, x + 32 * b + j), blk);
                        blk = ((FloatVector) (hi).convertShape(VectorOperators.I2F, F, 0))
                                .fma(FloatVector.fromArray(F, q, x + 32 * b + 16 + j), blk);
                    }
                    acc = blk.fma(FloatVector.broadcast(F, f16(s, at) * d[db + b]), acc);
                }
                out[t * outStride + outCol + r] = lanes(acc, lanes);
            }
        }
    }

    /** Sub-block {@code j}'s 6-bit scale from the Q4_K scale bytes read as ints {@code s0} (bytes 0-3), {@code s2} (8-11). */
    private static int scaleK4(int s0, int s2, int j) {
        return j < 4 ? (s0 >>> 8 * j) & 63 : ((s2 >>> 8 * (j - 4)) & 0xF) | (((s0 >>> (8 * (j - 4) + 6)) & 3) << 4);
    }

    /** Sub-block {@code j}'s 6-bit min from the scale bytes as ints {@code s1} (bytes 4-7), {@code s2} (8-11). */
    private static int minK4(int s1, int s2, int j) {
        return j < 4
                ? (s1 >>> 8 * j) & 63
                : ((s2 >>> (8 * (j - 4) + 4)) & 0xF) | (((s1 >>> (8 * (j - 4) + 6)) & 3) << 4);
    }

    static void rowsQ4_K(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / Quant.QK_K;
        float[] q = a.q(), d = a.d(), sums = a.sums(), lanes = new float[L];
        for (int r = r0; r < r1; r++) {
            long row = (long) r * blocks * 144;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks, sb = t * cols / 32;
                FloatVector acc = FloatVector.zero(F);
                float mins = 0;
                for (int b = 0; b < blocks; b++) {
                    long at = row + b * 144L;
                    float dx = d[db + b], scale = f16(s, at) * dx, min = f16(s, at + 2) * dx;
                    int xb = x + Quant.QK_K * b;
                    // the 12 bytes of 6-bit scales and mins as three ints (get_scale_min_k4 on whole words)
                    int s0 = s.get(I32, at + 4), s1 = s.get(I32, at + 8), s2 = s.get(I32, at + 12);
                    float m = 0;
                    for (int c = 0; c < 4; c++) {
                        FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F);
                        for (int l = 0; l < 32; l += L) {
                            IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, at + 16 + 32 * c + l, LE)
                                    .convertShape(VectorOperators.B2I, I, 0);
                            lo = ((FloatVector) v.and(0xF).convertShape(VectorOperators.I2F, F, 0))
                                    .fma(FloatVector.fromArray(F, q, xb + 64 * c + l), lo);
                            hi = ((FloatVector) v.lanewise(VectorOperators.ASHR, 4)
                                            .and(0xF)
                                            .convertShape(VectorOperators.I2F, F, 0))
                                    .fma(FloatVector.fromArray(F, q, xb + 64 * c + 32 + l), hi);
                        }
                        int j0 = 2 * c, j1 = 2 * c + 1;
                        acc = lo.fma(FloatVector.broadcast(F, scale * scaleK4(s0, s2, j0)), acc);
                        acc = hi.fma(FloatVector.broadcast(F, scale * scaleK4(s0, s2, j1)), acc);
                        m += minK4(s1, s2, j0) * sums[sb + 8 * b + j0] + minK4(s1, s2, j1) * sums[sb + 8 * b + j1];
                    }
                    mins += min * m;
                }
                out[t * outStride + outCol + r] = lanes(acc, lanes) - mins;
            }
        }
    }

    static void rowsQ6_K(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / Quant.QK_K;
        float[] q = a.q(), d = a.d(), lanes = new float[L];
        for (int r = r0; r < r1; r++) {
            long row = (long) r * blocks * 210;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector acc = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = row + b * 210L;
                    float scale = f16(s, at + 208) * d[db + b];
                    // the two 128-element halves and their L-wide slices in one loop: with the acc update nested a
                    // level
                    // deeper, C2 kept it boxed (a box per update, measured)
                    for (int k = 0; k < 64; k += L) {
                        int h = k / 32, l = k % 32, is = l / 16;
                        long ql = at + 64 * h, qh = at + 128 + 32 * h, sc = at + 192 + 8 * h;
                        int xh = x + Quant.QK_K * b + 128 * h;
                        IntVector v1 = (IntVector)
                                ByteVector.fromMemorySegment(B, s, ql + l, LE).convertShape(VectorOperators.B2I, I, 0);
                        IntVector v2 = (IntVector) ByteVector.fromMemorySegment(B, s, ql + 32 + l, LE)
                                .convertShape(VectorOperators.B2I, I, 0);
                        IntVector hb = (IntVector)
                                ByteVector.fromMemorySegment(B, s, qh + l, LE).convertShape(VectorOperators.B2I, I, 0);
                        IntVector q1 = v1.and(0xF)
                                .or(hb.and(3).lanewise(VectorOperators.LSHL, 4))
                                .sub(32);
                        IntVector q2 = v2.and(0xF)
                                .or(hb.lanewise(VectorOperators.ASHR, 2).and(3).lanewise(VectorOperators.LSHL, 4))
                                .sub(32);
                        IntVector q3 = v1.lanewise(VectorOperators.ASHR, 4)
                                .and(0xF)
                                .or(hb.lanewise(VectorOperators.ASHR, 4).and(3).lanewise(VectorOperators.LSHL, 4))
                                .sub(32);
                        IntVector q4 = v2.lanewise(VectorOperators.ASHR, 4)
                                .and(0xF)
                                .or(hb.lanewise(VectorOperators.ASHR, 6).and(3).lanewise(VectorOperators.LSHL, 4))
                                .sub(32);
                        acc = ((FloatVector) q1.convertShape(VectorOperators.I2F, F, 0))
                                .mul(FloatVector.fromArray(F, q, xh + l))
                                .fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is)), acc);
                        acc = ((FloatVector) q2.convertShape(VectorOperators.I2F, F, 0))
                                .mul(FloatVector.fromArray(F, q, xh + 32 + l))
                                .fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is + 2)), acc);
                        acc = ((FloatVector) q3.convertShape(VectorOperators.I2F, F, 0))
                                .mul(FloatVector.fromArray(F, q, xh + 64 + l))
                                .fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is + 4)), acc);
                        acc = ((FloatVector) q4.convertShape(VectorOperators.I2F, F, 0))
                                .mul(FloatVector.fromArray(F, q, xh + 96 + l))
                                .fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is + 6)), acc);
                    }
                }
                out[t * outStride + outCol + r] = lanes(acc, lanes);
            }
        }
    }

    /** One product, row {@code r} · token {@code t}, through the kernel of {@code w}'s type. */
    static float dot(Matrix w, int r, Q8Input a, int t) {
        float[] o = new float[1];
        switch (w.dtype()) {
            case Q8_0 -> rowsQ8_0(w, r, r + 1, a, t, t + 1, o, 0, -r);
            case Q5_0 -> rowsQ5_0(w, r, r + 1, a, t, t + 1, o, 0, -r);
            case Q4_K -> rowsQ4_K(w, r, r + 1, a, t, t + 1, o, 0, -r);
            case Q6_K -> rowsQ6_K(w, r, r + 1, a, t, t + 1, o, 0, -r);
            default -> throw new IllegalStateException("tensor " + w.name() + " is " + w.dtype() + ", not quantized");
        }
        return o[0];
    }

    /** The portable path (and the tests' reference): the row dequantized by {@link Quant}, times {@code q × d}. */
    static float dotDequantized(Matrix w, int r, Q8Input a, int t, float[] rowScratch) {
        int cols = w.cols();
        Quant.dequantize(w.dtype(), w.data(), w.dtype().byteSize((long) r * cols), rowScratch, 0, cols);
        double sum = 0;
        for (int k = 0; k < cols; k++) sum += rowScratch[k] * (a.q()[t * cols + k] * a.d()[(t * cols + k) / a.block()]);
        return (float) sum;
    }

    // --- dequantization of 32-element groups --------------------------------------------------------------------

    /** Elements {@code [k, k + 32)} of row {@code r} ({@code k} a multiple of 32) into {@code dst[o ..]}. */
    static void dequantize32(Matrix w, int r, int k, float[] dst, int o) {
        MemorySegment s = w.data();
        long row = w.dtype().byteSize((long) r * w.cols());
        if (!VECTOR) {
            int block = w.dtype().blockSize;
            float[] tmp = new float[block];
            Quant.dequantize(w.dtype(), s, row + (long) (k / block) * w.dtype().bytes, tmp, 0, block);
            System.arraycopy(tmp, k % block, dst, o, 32);
            return;
        }
        switch (w.dtype()) {
            case Q8_0 -> {
                long at = row + (k / 32) * 34L;
                float d = f16(s, at);
                for (int j = 0; j < 32; j += L)
                    ((FloatVector) ByteVector.fromMemorySegment(B, s, at + 2 + j, LE)
                                    .convertShape(VectorOperators.B2F, F, 0))
                            .mul(d)
                            .intoArray(dst, o + j);
            }
            case Q5_0 -> {
                long at = row + (k / 32) * 22L;
                float d = f16(s, at);
                IntVector qh = IntVector.broadcast(I, s.get(I32, at + 2));
                for (int j = 0; j < 16; j += L) {
                    IntVector qs = ((IntVector)
                            ByteVector.fromMemorySegment(B, s, at + 6 + j, LE).convertShape(VectorOperators.B2I, I, 0));
                    IntVector shift = IOTA.add(j);
                    IntVector lo = qs.and(0xF)
                            .or(qh.lanewise(VectorOperators.LSHR, shift).and(1).lanewise(VectorOperators.LSHL, 4))
                            .sub(16);
                    IntVector hi = qs.lanewise(VectorOperators.ASHR, 4)
                            .and(0xF)
                            .or(qh.lanewise(VectorOperators.LSHR, shift.add(16))
                                    .and(1)
                                    .lanewise(VectorOperators.LSHL, 4))
                            .sub(16);
                    ((FloatVector) (lo).convertShape(VectorOperators.I2F, F, 0))
                            .mul(d)
                            .intoArray(dst, o + j);
                    ((FloatVector) (hi).convertShape(VectorOperators.I2F, F, 0))
                            .mul(d)
                            .intoArray(dst, o + 16 + j);
                }
            }
            case Q4_K -> {
                long at = row + (k / Quant.QK_K) * 144L;
                int sub = (k % Quant.QK_K) / 32, c = sub / 2;
                float scale = f16(s, at) * Quant.scaleK4(s, at + 4, sub),
                        min = f16(s, at + 2) * Quant.minK4(s, at + 4, sub);
                for (int l = 0; l < 32; l += L) {
                    IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, s, at + 16 + 32 * c + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0));
                    IntVector nib = sub % 2 == 0
                            ? v.and(0xF)
                            : v.lanewise(VectorOperators.ASHR, 4).and(0xF);
                    ((FloatVector) (nib).convertShape(VectorOperators.I2F, F, 0))
                            .mul(scale)
                            .sub(min)
                            .intoArray(dst, o + l);
                }
            }
            case Q6_K -> {
                long at = row + (k / Quant.QK_K) * 210L;
                int within = k % Quant.QK_K, h = within / 128, quarter = (within % 128) / 32;
                long ql = at + 64 * h + (quarter % 2 == 1 ? 32 : 0), qh = at + 128 + 32 * h, sc = at + 192 + 8 * h;
                float d = f16(s, at + 208);
                for (int l = 0; l < 32; l += L) {
                    IntVector
                            v =
                                    ((IntVector) ByteVector.fromMemorySegment(B, s, ql + l, LE)
                                            .convertShape(VectorOperators.B2I, I, 0)),
                            hb =
                                    ((IntVector) ByteVector.fromMemorySegment(B, s, qh + l, LE)
                                            .convertShape(VectorOperators.B2I, I, 0));
                    IntVector nib = quarter < 2
                            ? v.and(0xF)
                            : v.lanewise(VectorOperators.ASHR, 4).and(0xF);
                    IntVector qv = nib.or(hb.lanewise(VectorOperators.ASHR, 2 * quarter)
                                    .and(3)
                                    .lanewise(VectorOperators.LSHL, 4))
                            .sub(32);
                    ((FloatVector) (qv).convertShape(VectorOperators.I2F, F, 0))
                            .mul(d * s.get(ValueLayout.JAVA_BYTE, sc + l / 16 + 2 * quarter))
                            .intoArray(dst, o + l);
                }
            }
            default -> throw new AssertionError(w.dtype());
        }
    }
}
