package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code out[n × rows] = x[n × cols] · Wᵀ} for weights in F32, F16 or BF16, multi-threaded over output rows.
 *
 * <p>Decode ({@code n = 1}) is a matrix-vector product bound by memory bandwidth: each weight row is streamed once
 * straight from the (memory-mapped) segment and widened in registers ({@link Matrix#dotRow}).
 *
 * <p>Prefill ({@code n > 1}) is bound by arithmetic: a block of {@value #ROW_BLOCK} weight rows is widened into a
 * per-thread float buffer once and then reused against every activation row, four rows × four tokens per step
 * (16 vector accumulators), so each weight load and each activation load feeds four multiply-adds.
 *
 * <p>Several matrices with the same number of columns can be multiplied as one stack (Q, K and V; gate and up): their
 * outputs are concatenated per token and the threads share one job instead of three.
 */
public final class MatMul {

    /** Weight rows widened at once by the batched kernel: 16 rows of 4096 floats = 256 KiB, a core's L2. */
    static final int ROW_BLOCK = 16;
    /** Activation rows (tokens) per micro-tile of the batched kernel. */
    static final int TOKENS = 4;

    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[0]);

    private MatMul() {}

    /** {@code out[t × w.rows + r] = Σ_k x[t × w.cols + k] · w[r, k]} for {@code t < n}. */
    public static void multiply(Parallel parallel, float[] x, int n, Matrix w, float[] out) {
        multiply(parallel, x, n, new Matrix[] {w}, out);
    }

    /**
     * Multiplies {@code x} by every matrix of {@code stack} (all with the same columns); token {@code t}'s outputs are
     * {@code out[t × R .. (t + 1) × R)} with {@code R} the total rows, the matrices' outputs one after another.
     */
    public static void multiply(Parallel parallel, float[] x, int n, Matrix[] stack, float[] out) {
        int cols = stack[0].cols();
        int[] start = new int[stack.length + 1];
        for (int m = 0; m < stack.length; m++) {
            if (stack[m].cols() != cols) throw new IllegalArgumentException("stacked matrices " + stack[0].name()
                    + " and " + stack[m].name() + " differ in columns (" + cols + " vs " + stack[m].cols() + ")");
            start[m + 1] = start[m] + stack[m].rows();
        }
        int rows = start[stack.length];
        if (n < 0 || x.length < (long) n * cols) throw new IllegalArgumentException("input holds "
                + x.length + " floats, fewer than " + n + " rows of " + cols);
        if (out.length < (long) n * rows) throw new IllegalArgumentException("output holds "
                + out.length + " floats, fewer than " + n + " rows of " + rows);
        if (n == 0) return;
        float[] xTail = n > 1 && n % TOKENS != 0 ? paddedTail(x, n, cols) : null;
        parallel.forRange(rows, n == 1 ? 4 : ROW_BLOCK, (from, to) -> {
            for (int m = 0; m < stack.length; m++) {
                int lo = Math.max(from, start[m]), hi = Math.min(to, start[m + 1]);
                if (lo >= hi) continue;
                if (n == 1) matVec(stack[m], lo - start[m], hi - start[m], x, out, start[m]);
                else batched(stack[m], lo - start[m], hi - start[m], x, xTail, n, out, rows, start[m]);
            }
        });
    }

    /** The last {@code n % 4} activation rows followed by zero rows, so that every micro-tile has four tokens. */
    private static float[] paddedTail(float[] x, int n, int cols) {
        float[] tail = new float[TOKENS * cols];
        int first = n - n % TOKENS;
        System.arraycopy(x, first * cols, tail, 0, (n - first) * cols);
        return tail;
    }

    /** {@code out[outOffset + r] = x · w[r]} for rows {@code [r0, r1)}. */
    static void matVec(Matrix w, int r0, int r1, float[] x, float[] out, int outOffset) {
        for (int r = r0; r < r1; r++) out[outOffset + r] = w.dotRow(r, x, 0);
    }

    /** Rows {@code [r0, r1)} of {@code w} against all {@code n} activation rows; outputs at column {@code outCol}. */
    static void batched(Matrix w, int r0, int r1, float[] x, float[] xTail, int n, float[] out, int outStride,
                        int outCol) {
        int cols = w.cols();
        float[] block = BLOCK.get();
        if (block.length < ROW_BLOCK * cols) BLOCK.set(block = new float[ROW_BLOCK * cols]);
        for (int rb = r0; rb < r1; rb += ROW_BLOCK) {
            int rowsHere = Math.min(ROW_BLOCK, r1 - rb);
            w.widenRows(rb, rowsHere, block, 0);
            for (int t = 0; t < n; t += TOKENS) {
                int tokens = Math.min(TOKENS, n - t);
                float[] xs = tokens == TOKENS ? x : xTail;
                int xOffset = tokens == TOKENS ? t * cols : 0;
                int outOffset = t * outStride + outCol + rb;
                int j = 0;
                for (; j + 4 <= rowsHere; j += 4)
                    tile4x4(block, j * cols, xs, xOffset, cols, out, outOffset + j, outStride, tokens);
                for (; j < rowsHere; j++)
                    for (int i = 0; i < tokens; i++)
                        out[outOffset + i * outStride + j] = VectorMath.dot(block, j * cols, xs, xOffset + i * cols, cols);
            }
        }
    }

    /**
     * Four weight rows (at {@code w[wOff + j × cols]}) times four activation rows (at {@code x[xOff + i × cols]}):
     * sixteen dot products sharing every load. Writes {@code out[outOff + i × outStride + j]} for {@code i < tokens}.
     */
    private static void tile4x4(float[] w, int wOff, float[] x, int xOff, int cols, float[] out, int outOff,
                                int outStride, int tokens) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int end = F.loopBound(cols);
        for (int k = 0; k < end; k += F.length()) {
            FloatVector w0 = FloatVector.fromArray(F, w, wOff + k);
            FloatVector w1 = FloatVector.fromArray(F, w, wOff + cols + k);
            FloatVector w2 = FloatVector.fromArray(F, w, wOff + 2 * cols + k);
            FloatVector w3 = FloatVector.fromArray(F, w, wOff + 3 * cols + k);
            FloatVector xv = FloatVector.fromArray(F, x, xOff + k);
            a00 = w0.fma(xv, a00); a01 = w1.fma(xv, a01); a02 = w2.fma(xv, a02); a03 = w3.fma(xv, a03);
            xv = FloatVector.fromArray(F, x, xOff + cols + k);
            a10 = w0.fma(xv, a10); a11 = w1.fma(xv, a11); a12 = w2.fma(xv, a12); a13 = w3.fma(xv, a13);
            xv = FloatVector.fromArray(F, x, xOff + 2 * cols + k);
            a20 = w0.fma(xv, a20); a21 = w1.fma(xv, a21); a22 = w2.fma(xv, a22); a23 = w3.fma(xv, a23);
            xv = FloatVector.fromArray(F, x, xOff + 3 * cols + k);
            a30 = w0.fma(xv, a30); a31 = w1.fma(xv, a31); a32 = w2.fma(xv, a32); a33 = w3.fma(xv, a33);
        }
        float[] s = {
            sum(a00), sum(a01), sum(a02), sum(a03), sum(a10), sum(a11), sum(a12), sum(a13),
            sum(a20), sum(a21), sum(a22), sum(a23), sum(a30), sum(a31), sum(a32), sum(a33)};
        for (int k = end; k < cols; k++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) s[i * 4 + j] += w[wOff + j * cols + k] * x[xOff + i * cols + k];
        for (int i = 0; i < tokens; i++)
            for (int j = 0; j < 4; j++) out[outOff + i * outStride + j] = s[i * 4 + j];
    }

    private static float sum(FloatVector v) {
        return v.reduceLanes(VectorOperators.ADD);
    }
}
