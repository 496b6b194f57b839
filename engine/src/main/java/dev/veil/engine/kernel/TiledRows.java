package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;

import jdk.incubator.vector.FloatVector;

/**
 * The batch-invariant kernel ({@link MatMul.Batching#INVARIANT}): every dot product is summed in one fixed order —
 * a vector accumulator over the columns, its lanes added first to last, then the scalar tail — whatever the number of
 * tokens, whichever micro-kernel computes it, and whether the code runs interpreted or compiled ({@code reduceLanes}
 * changes its order once compiled, so it is not used). A token's outputs are therefore bit for bit the same alone or in
 * any batch. Speed comes from reuse, not reordering: a block of {@value #ROW_BLOCK} weight rows is widened to float
 * once, then four rows are multiplied by four tokens (or by one) with independent accumulators sharing every load.
 */
final class TiledRows {

    /** Weight rows widened at once: 16 rows of 4096 floats = 256 KiB. */
    static final int ROW_BLOCK = 16;
    /** Tokens per micro-tile. */
    static final int TOKENS = 4;

    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[16 * F.length()]});

    private TiledRows() {}

    /** Rows {@code [r0, r1)} of {@code w} times tokens {@code x[0 .. n)} into {@code out[t × outStride + outCol + r]}. */
    static void multiply(Matrix w, int r0, int r1, float[] x, int n, float[] out, int outStride, int outCol) {
        int cols = w.cols();
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < ROW_BLOCK * cols) scratch[0] = new float[ROW_BLOCK * cols];
        float[] block = scratch[0], lanes = scratch[1];
        for (int rb = r0; rb < r1; rb += ROW_BLOCK) {
            int rowsHere = Math.min(ROW_BLOCK, r1 - rb);
            w.widenRows(rb, rowsHere, block, 0);
            int j = 0;
            for (; j + 4 <= rowsHere; j += 4) {
                int t = 0;
                for (; t + TOKENS <= n; t += TOKENS)
                    tile4x4(block, j * cols, x, t * cols, cols, lanes, out, t * outStride + outCol + rb + j, outStride);
                for (; t < n; t++)
                    tile4x1(block, j * cols, x, t * cols, cols, lanes, out, t * outStride + outCol + rb + j);
            }
            for (; j < rowsHere; j++)
                for (int t = 0; t < n; t++)
                    out[t * outStride + outCol + rb + j] = dot(block, j * cols, x, t * cols, cols, lanes);
        }
    }

    /** One dot product in the fixed order. */
    static float dot(float[] w, int wOff, float[] x, int xOff, int cols, float[] lanes) {
        int end = F.loopBound(cols);
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < end; k += F.length())
            acc = FloatVector.fromArray(F, w, wOff + k).fma(FloatVector.fromArray(F, x, xOff + k), acc);
        acc.intoArray(lanes, 0);
        float s = sumLanes(lanes, 0);
        for (int k = end; k < cols; k++) s += w[wOff + k] * x[xOff + k];
        return s;
    }

    /** Four weight rows ({@code cols} apart) times one token: {@code out[outOff + j]}. */
    private static void tile4x1(
            float[] w, int wOff, float[] x, int xOff, int cols, float[] lanes, float[] out, int outOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int end = F.loopBound(cols);
        for (int k = 0; k < end; k += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + k);
            a0 = FloatVector.fromArray(F, w, wOff + k).fma(xv, a0);
            a1 = FloatVector.fromArray(F, w, wOff + cols + k).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, wOff + 2 * cols + k).fma(xv, a2);
            a3 = FloatVector.fromArray(F, w, wOff + 3 * cols + k).fma(xv, a3);
        }
        int l = F.length();
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, l);
        a2.intoArray(lanes, 2 * l);
        a3.intoArray(lanes, 3 * l);
        for (int j = 0; j < 4; j++) {
            float s = sumLanes(lanes, j * l);
            for (int k = end; k < cols; k++) s += w[wOff + j * cols + k] * x[xOff + k];
            out[outOff + j] = s;
        }
    }

    /** Four weight rows times four tokens ({@code cols} apart): {@code out[outOff + i × outStride + j]}. */
    private static void tile4x4(
            float[] w, int wOff, float[] x, int xOff, int cols, float[] lanes, float[] out, int outOff, int outStride) {
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
        int l = F.length();
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, l);
        a02.intoArray(lanes, 2 * l);
        a03.intoArray(lanes, 3 * l);
        a10.intoArray(lanes, 4 * l);
        a11.intoArray(lanes, 5 * l);
        a12.intoArray(lanes, 6 * l);
        a13.intoArray(lanes, 7 * l);
        a20.intoArray(lanes, 8 * l);
        a21.intoArray(lanes, 9 * l);
        a22.intoArray(lanes, 10 * l);
        a23.intoArray(lanes, 11 * l);
        a30.intoArray(lanes, 12 * l);
        a31.intoArray(lanes, 13 * l);
        a32.intoArray(lanes, 14 * l);
        a33.intoArray(lanes, 15 * l);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                float s = sumLanes(lanes, (i * 4 + j) * l);
                for (int k = end; k < cols; k++) s += w[wOff + j * cols + k] * x[xOff + i * cols + k];
                out[outOff + i * outStride + j] = s;
            }
        }
    }

    /** The lanes of one accumulator, first to last. */
    private static float sumLanes(float[] lanes, int off) {
        float s = 0;
        for (int i = 0; i < F.length(); i++) s += lanes[off + i];
        return s;
    }
}
