package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Short batches (a 16-token prompt, a MoE expert's few tokens): {@value #ROWS} weight rows times {@value #TOKENS}
 * tokens per micro-tile, vectors along the columns, weights read straight from their segment and widened in registers.
 *
 * <p>Why not {@link Gemm}: its vectors run over tokens, {@link Gemm#NT} (32 with AVX-512) at a time, so a batch of 16
 * pads half of every vector with zeros, and it widens each weight panel into a buffer before use. Here every lane is
 * a real product and each widened weight vector feeds {@value #TOKENS} tokens from registers; the 4 rows' slices stay
 * in L1 while the token tiles pass over them. Sixteen accumulators, each reduced once at the end of its row.
 */
final class RowTiles {

    static final int ROWS = 4;
    static final int TOKENS = 4;
    /** Rows per block (a multiple of ROWS). */
    static final int BLOCK = 64;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    private RowTiles() {}

    /** From this many tokens on, this kernel beats streaming each row per token; up to {@link #MAX_TOKENS}, {@link Gemm}. */
    static final int MIN_TOKENS = 4;
    /**
     * Above this many, {@link Gemm}'s padding of a token group costs less than this kernel's per-tile reductions. It was
     * 24; BF16 and F32 2816×1024 at one thread (2026-12-07, quantization.md), ms Gemm → here: 36 tokens 4.2–5.5 → 2.6–3.0,
     * 48 tokens 4.3–4.9 → 3.3–3.8, but 64 tokens 4.3–4.6 → 5.1–6.4 (no padding left to save).
     */
    static final int MAX_TOKENS = 48;

    /** Whether this kernel multiplies the stack: all F32, or all BF16 (read as pairs, so of even width). */
    static boolean covers(Matrix[] stack) {
        DType type = stack[0].dtype();
        for (Matrix m : stack) if (m.dtype() != type || (type == DType.BF16 && m.cols() % 2 != 0)) return false;
        return type == DType.F32 || type == DType.BF16;
    }

    /**
     * {@code out[t × outStride + outCol + r] = x[t] · w[r]} for rows {@code [r0, r1)} and tokens {@code t < n}; BF16
     * reads {@code pairs} ({@code x} split by {@link VectorMath#splitPairs}).
     */
    static void multiply(
            Matrix w, int r0, int r1, float[] x, float[] pairs, int n, float[] out, int outStride, int outCol) {
        int cols = w.cols(), whole = r0 + (r1 - r0) / ROWS * ROWS;
        // a block of rows at a time, token tiles outside its row tiles: a tile's tokens (the larger operand) stay in
        // L1 while the block's rows pass, the block's weights (32 KiB of BF16 at 1024 columns) in L2
        for (int rb = r0; rb < whole; rb += BLOCK) {
            int re = Math.min(whole, rb + BLOCK);
            switch (w.dtype()) {
                case F32 -> {
                    int t = 0;
                    for (; t + TOKENS <= n; t += TOKENS)
                        for (int r = rb; r < re; r += ROWS)
                            f32x4(w, r, x, t * cols, out, t * outStride + outCol + r, outStride);
                    for (; t < n; t++)
                        for (int r = rb; r < re; r += ROWS) f32x1(w, r, x, t * cols, out, t * outStride + outCol + r);
                }
                case BF16 -> {
                    int t = 0;
                    for (; t + TOKENS <= n; t += TOKENS)
                        for (int r = rb; r < re; r += ROWS)
                            bf16x4(w, r, pairs, t * cols, out, t * outStride + outCol + r, outStride);
                    for (; t < n; t++)
                        for (int r = rb; r < re; r += ROWS)
                            bf16x1(w, r, pairs, t * cols, out, t * outStride + outCol + r);
                }
                default -> throw new AssertionError(w.dtype());
            }
        }
        MatMul.rowsTimesTokens(w, whole, r1, x, pairs, n, out, outStride, outCol);
    }

    /** Rows {@code r .. r+3} times tokens at {@code x[xOff]}, {@code cols} apart: {@code out[outOff + i × outStride + j]}. */
    private static void f32x4(Matrix w, int r, float[] x, int xOff, float[] out, int outOff, int outStride) {
        MemorySegment data = w.data();
        int cols = w.cols();
        long row = (long) r * cols * 4, rs = (long) cols * 4;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int end = F.loopBound(cols), k = 0;
        for (; k < end; k += F.length()) {
            long b = row + k * 4L;
            FloatVector w0 = FloatVector.fromMemorySegment(F, data, b, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, data, b + rs, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(F, data, b + 2 * rs, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(F, data, b + 3 * rs, LE);
            FloatVector xv = FloatVector.fromArray(F, x, xOff + k);
            a00 = w0.fma(xv, a00);
            a01 = w1.fma(xv, a01);
            a02 = w2.fma(xv, a02);
            a03 = w3.fma(xv, a03);
            xv = FloatVector.fromArray(F, x, xOff + cols + k);
            a10 = w0.fma(xv, a10);
            a11 = w1.fma(xv, a11);
            a12 = w2.fma(xv, a12);
            a13 = w3.fma(xv, a13);
            xv = FloatVector.fromArray(F, x, xOff + 2 * cols + k);
            a20 = w0.fma(xv, a20);
            a21 = w1.fma(xv, a21);
            a22 = w2.fma(xv, a22);
            a23 = w3.fma(xv, a23);
            xv = FloatVector.fromArray(F, x, xOff + 3 * cols + k);
            a30 = w0.fma(xv, a30);
            a31 = w1.fma(xv, a31);
            a32 = w2.fma(xv, a32);
            a33 = w3.fma(xv, a33);
        }
        float[] s = LANES.get();
        int l = F.length();
        a00.intoArray(s, 0);
        a01.intoArray(s, l);
        a02.intoArray(s, 2 * l);
        a03.intoArray(s, 3 * l);
        a10.intoArray(s, 4 * l);
        a11.intoArray(s, 5 * l);
        a12.intoArray(s, 6 * l);
        a13.intoArray(s, 7 * l);
        a20.intoArray(s, 8 * l);
        a21.intoArray(s, 9 * l);
        a22.intoArray(s, 10 * l);
        a23.intoArray(s, 11 * l);
        a30.intoArray(s, 12 * l);
        a31.intoArray(s, 13 * l);
        a32.intoArray(s, 14 * l);
        a33.intoArray(s, 15 * l);
        sums(s, 16);
        for (int i = 0; i < TOKENS; i++)
            for (int j = 0; j < ROWS; j++) {
                float sum = s[i * ROWS + j];
                for (int kk = k; kk < cols; kk++)
                    sum += data.getAtIndex(Tensor.F32, (long) (r + j) * cols + kk) * x[xOff + i * cols + kk];
                out[outOff + i * outStride + j] = sum;
            }
    }

    private static void f32x1(Matrix w, int r, float[] x, int xOff, float[] out, int outOff) {
        MemorySegment data = w.data();
        int cols = w.cols();
        long row = (long) r * cols * 4, rs = (long) cols * 4;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int end = F.loopBound(cols), k = 0;
        for (; k < end; k += F.length()) {
            long b = row + k * 4L;
            FloatVector xv = FloatVector.fromArray(F, x, xOff + k);
            a0 = FloatVector.fromMemorySegment(F, data, b, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, data, b + rs, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, data, b + 2 * rs, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, data, b + 3 * rs, LE).fma(xv, a3);
        }
        float[] s = LANES.get();
        int l = F.length();
        a0.intoArray(s, 0);
        a1.intoArray(s, l);
        a2.intoArray(s, 2 * l);
        a3.intoArray(s, 3 * l);
        sums(s, 4);
        for (int j = 0; j < ROWS; j++) {
            float sum = s[j];
            for (int kk = k; kk < cols; kk++)
                sum += data.getAtIndex(Tensor.F32, (long) (r + j) * cols + kk) * x[xOff + kk];
            out[outOff + j] = sum;
        }
    }

    /** {@link #f32x4} for BF16 rows read as int pairs: the even weight is the low half, the odd one the high half. */
    private static void bf16x4(Matrix w, int r, float[] p, int pOff, float[] out, int outOff, int outStride) {
        MemorySegment data = w.data();
        int cols = w.cols(), half = cols >> 1;
        long row = (long) r * cols * 2, rs = (long) cols * 2;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int end = F.loopBound(half), q = 0;
        for (; q < end; q += F.length()) {
            long b = row + q * 4L;
            IntVector i0 = IntVector.fromMemorySegment(Half.I, data, b, LE);
            IntVector i1 = IntVector.fromMemorySegment(Half.I, data, b + rs, LE);
            IntVector i2 = IntVector.fromMemorySegment(Half.I, data, b + 2 * rs, LE);
            IntVector i3 = IntVector.fromMemorySegment(Half.I, data, b + 3 * rs, LE);
            int xe = pOff + q, xo = xe + half;
            // evens of all four tokens first, then odds: fewer vectors live at once (16 accumulators use half the
            // registers)
            FloatVector w0 = i0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = i1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w2 = i2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = i3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector xv = FloatVector.fromArray(F, p, xe);
            a00 = w0.fma(xv, a00);
            a01 = w1.fma(xv, a01);
            a02 = w2.fma(xv, a02);
            a03 = w3.fma(xv, a03);
            xv = FloatVector.fromArray(F, p, xe + cols);
            a10 = w0.fma(xv, a10);
            a11 = w1.fma(xv, a11);
            a12 = w2.fma(xv, a12);
            a13 = w3.fma(xv, a13);
            xv = FloatVector.fromArray(F, p, xe + 2 * cols);
            a20 = w0.fma(xv, a20);
            a21 = w1.fma(xv, a21);
            a22 = w2.fma(xv, a22);
            a23 = w3.fma(xv, a23);
            xv = FloatVector.fromArray(F, p, xe + 3 * cols);
            a30 = w0.fma(xv, a30);
            a31 = w1.fma(xv, a31);
            a32 = w2.fma(xv, a32);
            a33 = w3.fma(xv, a33);
            w0 = i0.and(0xffff0000).reinterpretAsFloats();
            w1 = i1.and(0xffff0000).reinterpretAsFloats();
            w2 = i2.and(0xffff0000).reinterpretAsFloats();
            w3 = i3.and(0xffff0000).reinterpretAsFloats();
            xv = FloatVector.fromArray(F, p, xo);
            a00 = w0.fma(xv, a00);
            a01 = w1.fma(xv, a01);
            a02 = w2.fma(xv, a02);
            a03 = w3.fma(xv, a03);
            xv = FloatVector.fromArray(F, p, xo + cols);
            a10 = w0.fma(xv, a10);
            a11 = w1.fma(xv, a11);
            a12 = w2.fma(xv, a12);
            a13 = w3.fma(xv, a13);
            xv = FloatVector.fromArray(F, p, xo + 2 * cols);
            a20 = w0.fma(xv, a20);
            a21 = w1.fma(xv, a21);
            a22 = w2.fma(xv, a22);
            a23 = w3.fma(xv, a23);
            xv = FloatVector.fromArray(F, p, xo + 3 * cols);
            a30 = w0.fma(xv, a30);
            a31 = w1.fma(xv, a31);
            a32 = w2.fma(xv, a32);
            a33 = w3.fma(xv, a33);
        }
        float[] s = LANES.get();
        int l = F.length();
        a00.intoArray(s, 0);
        a01.intoArray(s, l);
        a02.intoArray(s, 2 * l);
        a03.intoArray(s, 3 * l);
        a10.intoArray(s, 4 * l);
        a11.intoArray(s, 5 * l);
        a12.intoArray(s, 6 * l);
        a13.intoArray(s, 7 * l);
        a20.intoArray(s, 8 * l);
        a21.intoArray(s, 9 * l);
        a22.intoArray(s, 10 * l);
        a23.intoArray(s, 11 * l);
        a30.intoArray(s, 12 * l);
        a31.intoArray(s, 13 * l);
        a32.intoArray(s, 14 * l);
        a33.intoArray(s, 15 * l);
        sums(s, 16);
        for (int i = 0; i < TOKENS; i++)
            for (int j = 0; j < ROWS; j++)
                out[outOff + i * outStride + j] = s[i * ROWS + j] + bf16Tail(data, r + j, cols, q, p, pOff + i * cols);
    }

    private static void bf16x1(Matrix w, int r, float[] p, int pOff, float[] out, int outOff) {
        MemorySegment data = w.data();
        int cols = w.cols(), half = cols >> 1;
        long row = (long) r * cols * 2, rs = (long) cols * 2;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int end = F.loopBound(half), q = 0;
        for (; q < end; q += F.length()) {
            long b = row + q * 4L;
            IntVector i0 = IntVector.fromMemorySegment(Half.I, data, b, LE);
            IntVector i1 = IntVector.fromMemorySegment(Half.I, data, b + rs, LE);
            IntVector i2 = IntVector.fromMemorySegment(Half.I, data, b + 2 * rs, LE);
            IntVector i3 = IntVector.fromMemorySegment(Half.I, data, b + 3 * rs, LE);
            FloatVector xe = FloatVector.fromArray(F, p, pOff + q), xo = FloatVector.fromArray(F, p, pOff + half + q);
            a0 = i0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a0);
            a1 = i1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a1);
            a2 = i2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a2);
            a3 = i3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a3);
            a0 = i0.and(0xffff0000).reinterpretAsFloats().fma(xo, a0);
            a1 = i1.and(0xffff0000).reinterpretAsFloats().fma(xo, a1);
            a2 = i2.and(0xffff0000).reinterpretAsFloats().fma(xo, a2);
            a3 = i3.and(0xffff0000).reinterpretAsFloats().fma(xo, a3);
        }
        float[] s = LANES.get();
        int l = F.length();
        a0.intoArray(s, 0);
        a1.intoArray(s, l);
        a2.intoArray(s, 2 * l);
        a3.intoArray(s, 3 * l);
        sums(s, 4);
        for (int j = 0; j < ROWS; j++) out[outOff + j] = s[j] + bf16Tail(data, r + j, cols, q, p, pOff);
    }

    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[16 * F.length()]);

    /**
     * Replaces the first {@code count} vectors of lanes in {@code s} by their sums, {@code s[i]} the sum of vector i.
     * A method of its own: inlined into the tiles, {@link VectorMath#sum} hit C2's node limit and boxed the
     * accumulators (measured: 3× slower).
     */
    private static void sums(float[] s, int count) {
        for (int i = 0; i < count; i++) s[i] = VectorMath.sum(FloatVector.fromArray(F, s, i * F.length()));
    }

    /** The pairs past the last whole vector of row {@code r}, from pair {@code q}. */
    private static float bf16Tail(MemorySegment data, int r, int cols, int q, float[] p, int pOff) {
        int half = cols >> 1;
        long rowBytes = (long) r * cols * 2;
        float sum = 0;
        for (; q < half; q++) {
            int v = data.get(I32, rowBytes + q * 4L);
            sum += Float.intBitsToFloat(v << 16) * p[pOff + q]
                    + Float.intBitsToFloat(v & 0xffff0000) * p[pOff + half + q];
        }
        return sum;
    }
}
