package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The batched (prefill) kernel: {@code out[n × rows] = x[n × cols] · Wᵀ}, blocked the BLIS way but with the roles
 * chosen so that the weights need no transposition: vectors run over tokens, weights are broadcast.
 *
 * <ul>
 *   <li>The tokens are packed once per call, transposed into groups of {@link #NT} ({@code [group][k][NT]}, zero
 *       padded), so a micro-tile reads them sequentially.</li>
 *   <li>Each thread takes panels of {@link #PANEL} weight rows; for each block of {@link #KC} columns the panel's slice
 *       is widened to float (F16/BF16 converted here, once per call) into an L1-sized buffer.</li>
 *   <li>The micro-tile multiplies {@link #MR} weight rows by {@link #NT} tokens: 12 vector accumulators (with 16-lane
 *       vectors), two token loads and six broadcasts feeding 12 fused multiply-adds per column.</li>
 * </ul>
 * Accumulators live in a per-thread {@code [rows][tokens]} buffer across column blocks and are transposed into
 * {@code out} at the end of each panel.
 */
final class Gemm {

    /** Weight rows per micro-tile. */
    static final int MR = 6;
    /** Tokens per micro-tile: two vectors. */
    static final int NT = 2 * F.length();
    /** Columns per block: a block of tokens (KC × NT floats) and of weights (PANEL × KC) fit in L1 together. */
    static final int KC = 128;
    /** Weight rows per panel (a multiple of MR): the unit of work handed to a thread. */
    static final int PANEL = 4 * MR;

    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    private Gemm() {}

    /** Activations packed for the micro-tile: token group {@code g}, column {@code k}, lane {@code i} at {@code ((g × cols) + k) × NT + i}. */
    record Tokens(float[] packed, int n, int cols, int groups) {

        static Tokens pack(Parallel parallel, float[] x, int n, int cols) {
            int groups = Math.ceilDiv(n, NT);
            float[] packed = new float[groups * cols * NT];
            parallel.forEach(groups, g -> {
                int tokens = Math.min(NT, n - g * NT), first = g * NT * cols;
                // 16 columns at a time, so both the reads (one cache line per token) and the writes (a 2 KiB block)
                // stay in L1 whatever the row stride
                for (int k0 = 0; k0 < cols; k0 += 16) {
                    int k1 = Math.min(cols, k0 + 16);
                    for (int i = 0; i < tokens; i++)
                        for (int k = k0; k < k1; k++) packed[(g * cols + k) * NT + i] = x[first + i * cols + k];
                }
            });
            return new Tokens(packed, n, cols, groups);
        }
    }

    /** Rows {@code [r0, r1)} of {@code w} times all tokens, into {@code out[t × outStride + outCol + r]}. */
    static void multiply(Matrix w, int r0, int r1, Tokens x, float[] out, int outStride, int outCol) {
        int cols = w.cols(), padded = x.groups() * NT;
        float[][] scratch = SCRATCH.get();
        if (scratch[0].length < PANEL * KC) scratch[0] = new float[PANEL * KC];
        if (scratch[1].length < PANEL * padded) scratch[1] = new float[PANEL * padded];
        float[] weights = scratch[0], acc = scratch[1];
        for (int p = r0; p < r1; p += PANEL) {
            int rowsHere = Math.min(PANEL, r1 - p);
            int tiles = Math.ceilDiv(rowsHere, MR);
            Arrays.fill(acc, 0, PANEL * padded, 0f);
            Arrays.fill(weights, 0f); // rows past the matrix's end stay zero
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int kc = Math.min(KC, cols - k0);
                w.widenBlock(p, rowsHere, k0, kc, weights, 0, KC);
                for (int g = 0; g < x.groups(); g++) {
                    int xOff = (g * cols + k0) * NT;
                    for (int tile = 0; tile < tiles; tile++)
                        microTile(
                                weights,
                                tile * MR * KC,
                                kc,
                                x.packed(),
                                xOff,
                                acc,
                                tile * MR * padded + g * NT,
                                padded);
                }
            }
            // token by token: each token's outputs are contiguous (token-major writes with a power-of-two stride
            // would all fall into one L1 set)
            for (int t = 0; t < x.n(); t++) {
                int o = t * outStride + outCol + p;
                for (int j = 0; j < rowsHere; j++) out[o + j] = acc[j * padded + t];
            }
        }
    }

    /**
     * {@code acc[i][0..NT) += Σ_k w[i][k] · x[k][0..NT)} for the tile's {@link #MR} rows ({@code w} rows {@code KC} apart,
     * {@code acc} rows {@code accStride} apart), over {@code kc} columns.
     */
    private static void microTile(
            float[] w, int wOff, int kc, float[] x, int xOff, float[] acc, int accOff, int accStride) {
        int h = F.length();
        int a0 = accOff,
                a1 = a0 + accStride,
                a2 = a1 + accStride,
                a3 = a2 + accStride,
                a4 = a3 + accStride,
                a5 = a4 + accStride;
        FloatVector c00 = FloatVector.fromArray(F, acc, a0), c01 = FloatVector.fromArray(F, acc, a0 + h);
        FloatVector c10 = FloatVector.fromArray(F, acc, a1), c11 = FloatVector.fromArray(F, acc, a1 + h);
        FloatVector c20 = FloatVector.fromArray(F, acc, a2), c21 = FloatVector.fromArray(F, acc, a2 + h);
        FloatVector c30 = FloatVector.fromArray(F, acc, a3), c31 = FloatVector.fromArray(F, acc, a3 + h);
        FloatVector c40 = FloatVector.fromArray(F, acc, a4), c41 = FloatVector.fromArray(F, acc, a4 + h);
        FloatVector c50 = FloatVector.fromArray(F, acc, a5), c51 = FloatVector.fromArray(F, acc, a5 + h);
        for (int k = 0; k < kc; k++) {
            int xk = xOff + k * NT, wk = wOff + k;
            FloatVector x0 = FloatVector.fromArray(F, x, xk), x1 = FloatVector.fromArray(F, x, xk + h);
            FloatVector b = FloatVector.broadcast(F, w[wk]);
            c00 = x0.fma(b, c00);
            c01 = x1.fma(b, c01);
            b = FloatVector.broadcast(F, w[wk + KC]);
            c10 = x0.fma(b, c10);
            c11 = x1.fma(b, c11);
            b = FloatVector.broadcast(F, w[wk + 2 * KC]);
            c20 = x0.fma(b, c20);
            c21 = x1.fma(b, c21);
            b = FloatVector.broadcast(F, w[wk + 3 * KC]);
            c30 = x0.fma(b, c30);
            c31 = x1.fma(b, c31);
            b = FloatVector.broadcast(F, w[wk + 4 * KC]);
            c40 = x0.fma(b, c40);
            c41 = x1.fma(b, c41);
            b = FloatVector.broadcast(F, w[wk + 5 * KC]);
            c50 = x0.fma(b, c50);
            c51 = x1.fma(b, c51);
        }
        c00.intoArray(acc, a0);
        c01.intoArray(acc, a0 + h);
        c10.intoArray(acc, a1);
        c11.intoArray(acc, a1 + h);
        c20.intoArray(acc, a2);
        c21.intoArray(acc, a2 + h);
        c30.intoArray(acc, a3);
        c31.intoArray(acc, a3 + h);
        c40.intoArray(acc, a4);
        c41.intoArray(acc, a4 + h);
        c50.intoArray(acc, a5);
        c51.intoArray(acc, a5 + h);
    }
}
