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
    private static final VectorSpecies<Byte> B = VECTOR ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Lane indices 0..L-1 (Q5_0's high-bit shifts). */
    private static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(I16, at));
    }

    private static IntVector ints(MemorySegment s, long at) {
        return (IntVector) ByteVector.fromMemorySegment(B, s, at, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    private static FloatVector floats(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }

    // --- dot products: row r of w · token t of a ------------------------------------------------------------------

    static float dotQ8_0(Matrix w, int r, Q8Input a, int t) {
        MemorySegment s = w.data();
        int blocks = w.cols() / 32;
        long row = (long) r * blocks * 34;
        int x = t * w.cols(), db = t * blocks;
        float[] q = a.q(), d = a.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long at = row + b * 34L;
            FloatVector blk = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L)
                blk = ((FloatVector) ByteVector.fromMemorySegment(B, s, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, q, x + 32 * b + j), blk);
            acc = blk.fma(FloatVector.broadcast(F, f16(s, at) * d[db + b]), acc);
        }
        return VectorMath.sum(acc);
    }

    static float dotQ5_0(Matrix w, int r, Q8Input a, int t) {
        MemorySegment s = w.data();
        int blocks = w.cols() / 32;
        long row = (long) r * blocks * 22;
        int x = t * w.cols(), db = t * blocks;
        float[] q = a.q(), d = a.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long at = row + b * 22L;
            IntVector qh = IntVector.broadcast(I, s.get(I32, at + 2));
            FloatVector blk = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                IntVector qs = ints(s, at + 6 + j);
                IntVector shift = IOTA.add(j);
                IntVector lo = qs.and(0xF).or(qh.lanewise(VectorOperators.LSHR, shift).and(1).lanewise(VectorOperators.LSHL, 4)).sub(16);
                IntVector hi = qs.lanewise(VectorOperators.ASHR, 4).and(0xF)
                        .or(qh.lanewise(VectorOperators.LSHR, shift.add(16)).and(1).lanewise(VectorOperators.LSHL, 4)).sub(16);
                blk = floats(lo).fma(FloatVector.fromArray(F, q, x + 32 * b + j), blk);
                blk = floats(hi).fma(FloatVector.fromArray(F, q, x + 32 * b + 16 + j), blk);
            }
            acc = blk.fma(FloatVector.broadcast(F, f16(s, at) * d[db + b]), acc);
        }
        return VectorMath.sum(acc);
    }

    static float dotQ4_K(Matrix w, int r, Q8Input a, int t) {
        MemorySegment s = w.data();
        int blocks = w.cols() / Quant.QK_K;
        long row = (long) r * blocks * 144;
        int x = t * w.cols(), db = t * blocks, sb = t * w.cols() / 32;
        float[] q = a.q(), d = a.d(), sums = a.sums();
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long at = row + b * 144L;
            float dx = d[db + b], scale = f16(s, at) * dx, min = f16(s, at + 2) * dx;
            int xb = x + Quant.QK_K * b;
            float m = 0;
            for (int c = 0; c < 4; c++) {
                FloatVector lo = FloatVector.zero(F), hi = FloatVector.zero(F);
                for (int l = 0; l < 32; l += L) {
                    IntVector v = ints(s, at + 16 + 32 * c + l);
                    lo = floats(v.and(0xF)).fma(FloatVector.fromArray(F, q, xb + 64 * c + l), lo);
                    hi = floats(v.lanewise(VectorOperators.ASHR, 4).and(0xF)).fma(FloatVector.fromArray(F, q, xb + 64 * c + 32 + l), hi);
                }
                acc = lo.fma(FloatVector.broadcast(F, scale * Quant.scaleK4(s, at + 4, 2 * c)), acc);
                acc = hi.fma(FloatVector.broadcast(F, scale * Quant.scaleK4(s, at + 4, 2 * c + 1)), acc);
                m += Quant.minK4(s, at + 4, 2 * c) * sums[sb + 8 * b + 2 * c] + Quant.minK4(s, at + 4, 2 * c + 1) * sums[sb + 8 * b + 2 * c + 1];
            }
            mins += min * m;
        }
        return VectorMath.sum(acc) - mins;
    }

    static float dotQ6_K(Matrix w, int r, Q8Input a, int t) {
        MemorySegment s = w.data();
        int blocks = w.cols() / Quant.QK_K;
        long row = (long) r * blocks * 210;
        int x = t * w.cols(), db = t * blocks;
        float[] q = a.q(), d = a.d();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long at = row + b * 210L;
            float scale = f16(s, at + 208) * d[db + b];
            for (int h = 0; h < 2; h++) {
                long ql = at + 64 * h, qh = at + 128 + 32 * h, sc = at + 192 + 8 * h;
                int xh = x + Quant.QK_K * b + 128 * h;
                for (int l = 0; l < 32; l += L) {
                    int is = l / 16;
                    IntVector v1 = ints(s, ql + l), v2 = ints(s, ql + 32 + l), hb = ints(s, qh + l);
                    IntVector q1 = v1.and(0xF).or(hb.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q2 = v2.and(0xF).or(hb.lanewise(VectorOperators.ASHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q3 = v1.lanewise(VectorOperators.ASHR, 4).and(0xF).or(hb.lanewise(VectorOperators.ASHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q4 = v2.lanewise(VectorOperators.ASHR, 4).and(0xF).or(hb.lanewise(VectorOperators.ASHR, 6).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    acc = floats(q1).mul(FloatVector.fromArray(F, q, xh + l)).fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is)), acc);
                    acc = floats(q2).mul(FloatVector.fromArray(F, q, xh + 32 + l)).fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is + 2)), acc);
                    acc = floats(q3).mul(FloatVector.fromArray(F, q, xh + 64 + l)).fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is + 4)), acc);
                    acc = floats(q4).mul(FloatVector.fromArray(F, q, xh + 96 + l)).fma(FloatVector.broadcast(F, scale * s.get(ValueLayout.JAVA_BYTE, sc + is + 6)), acc);
                }
            }
        }
        return VectorMath.sum(acc);
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
                    ((FloatVector) ByteVector.fromMemorySegment(B, s, at + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                            .mul(d).intoArray(dst, o + j);
            }
            case Q5_0 -> {
                long at = row + (k / 32) * 22L;
                float d = f16(s, at);
                IntVector qh = IntVector.broadcast(I, s.get(I32, at + 2));
                for (int j = 0; j < 16; j += L) {
                    IntVector qs = ints(s, at + 6 + j);
                    IntVector shift = IOTA.add(j);
                    IntVector lo = qs.and(0xF).or(qh.lanewise(VectorOperators.LSHR, shift).and(1).lanewise(VectorOperators.LSHL, 4)).sub(16);
                    IntVector hi = qs.lanewise(VectorOperators.ASHR, 4).and(0xF)
                            .or(qh.lanewise(VectorOperators.LSHR, shift.add(16)).and(1).lanewise(VectorOperators.LSHL, 4)).sub(16);
                    floats(lo).mul(d).intoArray(dst, o + j);
                    floats(hi).mul(d).intoArray(dst, o + 16 + j);
                }
            }
            case Q4_K -> {
                long at = row + (k / Quant.QK_K) * 144L;
                int sub = (k % Quant.QK_K) / 32, c = sub / 2;
                float scale = f16(s, at) * Quant.scaleK4(s, at + 4, sub), min = f16(s, at + 2) * Quant.minK4(s, at + 4, sub);
                for (int l = 0; l < 32; l += L) {
                    IntVector v = ints(s, at + 16 + 32 * c + l);
                    IntVector nib = sub % 2 == 0 ? v.and(0xF) : v.lanewise(VectorOperators.ASHR, 4).and(0xF);
                    floats(nib).mul(scale).sub(min).intoArray(dst, o + l);
                }
            }
            case Q6_K -> {
                long at = row + (k / Quant.QK_K) * 210L;
                int within = k % Quant.QK_K, h = within / 128, quarter = (within % 128) / 32;
                long ql = at + 64 * h + (quarter % 2 == 1 ? 32 : 0), qh = at + 128 + 32 * h, sc = at + 192 + 8 * h;
                float d = f16(s, at + 208);
                for (int l = 0; l < 32; l += L) {
                    IntVector v = ints(s, ql + l), hb = ints(s, qh + l);
                    IntVector nib = quarter < 2 ? v.and(0xF) : v.lanewise(VectorOperators.ASHR, 4).and(0xF);
                    IntVector qv = nib.or(hb.lanewise(VectorOperators.ASHR, 2 * quarter).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    floats(qv).mul(d * s.get(ValueLayout.JAVA_BYTE, sc + l / 16 + 2 * quarter)).intoArray(dst, o + l);
                }
            }
            default -> throw new AssertionError(w.dtype());
        }
    }
}
