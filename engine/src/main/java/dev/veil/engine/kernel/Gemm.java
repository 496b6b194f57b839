package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;

import java.util.Arrays;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;

/**
 * The batched (prefill) kernel: {@code out[n × rows] = x[n × cols] · Wᵀ}, blocked the BLIS way but with the roles
 * chosen so that the weights need no transposition: vectors run over tokens, weights are broadcast.
 *
 * <ul>
 *   <li>The tokens are packed once per call, transposed into groups of {@link #NT} ({@code [group][k][NT]}, zero
 *       padded), so a micro-tile reads them sequentially.</li>
 *   <li>Each thread takes panels of {@link #PANEL} weight rows; the panel is widened to float (F16/BF16 converted,
 *       quantized types dequantized, once per call) {@link #WC} columns at a time into an L2-sized buffer, which the
 *       micro-tiles read in blocks of {@link #KC} columns.</li>
 *   <li>The micro-tile multiplies {@link #MR} weight rows by {@link #NT} tokens: with 16-lane vectors (AVX-512, 32
 *       vector registers) 12 rows, 24 vector accumulators, two token loads and twelve broadcasts feeding 24 fused
 *       multiply-adds per column; with fewer registers 6 rows and 12 accumulators.</li>
 * </ul>
 * Accumulators live in a per-thread {@code [rows][tokens]} buffer across column blocks and are transposed into
 * {@code out} at the end of each panel.
 *
 * <p>The same micro-tile also serves plain float matrices in any orientation ({@link #multiply(Parallel, int, int,
 * int, float[], int, int, boolean, float[], int, int, boolean, float[], int, int, boolean)}): training's
 * {@code x·Wᵀ}, {@code dy·W}, {@code dyᵀ·x} and attention's per-head products, read in place through offsets and
 * leading dimensions, with no transposed copy.
 */
public final class Gemm {

    /**
     * Weight rows per micro-tile: 12 where vectors have 16 lanes (AVX-512: 24 accumulators, two token vectors and a
     * broadcast fit its 32 registers), else 6 (AVX2's 16 registers). Twelve rows load each column's token vectors for
     * twice the multiply-adds: a 128-token prefill of the 200M Llama's Q4_K_M 3–12% faster (quantization.md).
     */
    static final int MR = F.length() >= 16 ? 12 : 6;
    /** Tokens per micro-tile: two vectors. */
    static final int NT = 2 * F.length();
    /** Columns per block: a block of tokens (KC × NT floats) and of weights ({@link #PANEL} × KC) fit in L1 together. */
    static final int KC = 128;
    /**
     * Columns of a weight matrix's panel widened at once ({@link #multiply(Matrix, int, int, Tokens, float[], int,
     * int)}): each row is read front to back in runs this long (4 KiB of F32), which the hardware prefetches well.
     * Widened KC columns at a time, a panel read 24 runs of 512 bytes per block: 3–18% slower at 128 tokens
     * (F32 and Q8_0, 2816×1024 to 896×4864; quantization.md). A panel of WS-float rows: 98 KiB, in L2.
     */
    static final int WC = 8 * KC;
    /**
     * Row stride of the widened panel: a cache line more than {@link #WC}, so that a tile's rows do not all fall into
     * one L1 set (WC floats are 4 KiB; twelve rows 4 KiB apart overflow its 8 ways: F32 2816×1024 at 128 tokens took
     * 8.7–8.8 ms unpadded, 7.9–8.0 padded).
     */
    static final int WS = WC + 16;
    /**
     * Weight rows per panel (a multiple of MR): the unit of work handed to a thread. A block of it (PANEL × KC floats,
     * 12 KiB) and of the tokens (KC × NT, 16 KiB with 16 lanes) fit in L1 together.
     */
    static final int PANEL = 24;

    private static final ThreadLocal<float[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});
    /** Per thread, for the float-array product: packed B (the caller's), packed A (each task's), an edge tile. */
    private static final ThreadLocal<float[][]> FLOAT_SCRATCH =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[MR * NT]});
    /**
     * Rows of C per task of the float-array product (a multiple of MR): each KC × NT slice of B loaded into L1 serves
     * MC / MR micro-tiles, so B (the LM head's 4 MiB, a weight gradient's activations) is not streamed from L3 at
     * every few tiles.
     */
    static final int MC = 16 * MR;

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
        if (scratch[0].length < PANEL * WS) scratch[0] = new float[PANEL * WS];
        if (scratch[1].length < PANEL * padded) scratch[1] = new float[PANEL * padded];
        float[] weights = scratch[0], acc = scratch[1];
        for (int p = r0; p < r1; p += PANEL) {
            int rowsHere = Math.min(PANEL, r1 - p);
            int tiles = Math.ceilDiv(rowsHere, MR);
            Arrays.fill(acc, 0, PANEL * padded, 0f);
            if (rowsHere < PANEL) Arrays.fill(weights, 0f); // rows past the matrix's end stay zero
            for (int c0 = 0; c0 < cols; c0 += WC) {
                int wc = Math.min(WC, cols - c0);
                w.widenBlock(p, rowsHere, c0, wc, weights, 0, WS);
                for (int k0 = 0; k0 < wc; k0 += KC) {
                    int kc = Math.min(KC, wc - k0);
                    for (int g = 0; g < x.groups(); g++) {
                        int xOff = (g * cols + c0 + k0) * NT;
                        for (int tile = 0; tile < tiles; tile++)
                            microTile(
                                    weights,
                                    tile * MR * WS + k0,
                                    WS,
                                    kc,
                                    x.packed(),
                                    xOff,
                                    acc,
                                    tile * MR * padded + g * NT,
                                    padded);
                    }
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
     * {@code C[m×n] = op(A)·op(B)} ({@code accumulate}: {@code C += op(A)·op(B)}) on row-major float arrays, where
     * {@code op(A)[i][p]} is {@code a[aOff + i·lda + p]}, or {@code a[aOff + p·lda + i]} when {@code transA}, and
     * {@code op(B)[p][j]} is {@code b[bOff + p·ldb + j]}, or {@code b[bOff + j·ldb + p]} when {@code transB};
     * {@code C[i][j]} is {@code c[cOff + i·ldc + j]}. Strided views (one attention head of a {@code [tokens, heads·d]}
     * array) need no copy.
     *
     * <p>Every element of C is summed over {@code p} in increasing order by one thread (the initial value first), so
     * the result does not depend on the number of threads, on how the tasks fall, or on the JIT: training is
     * reproducible bit for bit. {@code parallel} null runs on the calling thread (inside another parallel task).
     */
    public static void multiply(
            Parallel parallel,
            int m,
            int n,
            int k,
            float[] a,
            int aOff,
            int lda,
            boolean transA,
            float[] b,
            int bOff,
            int ldb,
            boolean transB,
            float[] c,
            int cOff,
            int ldc,
            boolean accumulate) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemm of " + m + "×" + k + " · " + k + "×" + n);
        if (m == 0 || n == 0) return;
        check("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        check("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        check("C", c, cOff, ldc, m, n);
        int groups = Math.ceilDiv(n, NT);
        float[][] mine = FLOAT_SCRATCH.get();
        if (mine[0].length < groups * k * NT) mine[0] = new float[groups * k * NT];
        float[] packedB = mine[0];
        int rowBlocks = Math.ceilDiv(m, MC), threads = parallel == null ? 1 : parallel.threads();
        // a few row blocks (a weight gradient's 128 or 256 rows) are split by columns too, so no thread idles;
        // every element of C still belongs to one task, which sums it over all of k in order
        int chunks = rowBlocks >= 4 * threads ? 1 : Math.min(groups, Math.ceilDiv(4 * threads, rowBlocks));
        int perChunk = Math.ceilDiv(groups, chunks);
        int colChunks = Math.ceilDiv(groups, perChunk);
        IntConsumer block = task -> {
            int blk = task / colChunks, g0 = (task % colChunks) * perChunk;
            rowBlock(
                    blk * MC,
                    Math.min(m, blk * MC + MC),
                    g0,
                    Math.min(groups, g0 + perChunk),
                    n,
                    k,
                    a,
                    aOff,
                    lda,
                    transA,
                    packedB,
                    c,
                    cOff,
                    ldc,
                    accumulate);
        };
        int tasks = rowBlocks * colChunks;
        if (threads == 1) {
            packB(b, bOff, ldb, transB, k, n, packedB, 0, groups);
            for (int t = 0; t < tasks; t++) block.accept(t);
        } else {
            parallel.forRange(groups, 1, (g0, g1) -> packB(b, bOff, ldb, transB, k, n, packedB, g0, g1));
            parallel.forEach(tasks, block);
        }
    }

    private static void check(String what, float[] x, int off, int ld, int rows, int cols) {
        if (off < 0 || ld < cols || (rows > 0 && cols > 0 && (long) off + (long) (rows - 1) * ld + cols > x.length))
            throw new IllegalArgumentException("gemm: " + what + " (" + rows + "×" + cols + " from offset " + off
                    + ", leading dimension " + ld + ") does not fit in " + x.length + " floats");
    }

    /** Column groups {@code [g0, g1)} of op(B) into {@code packed[(g·k + p)·NT + lane]}, zero past column n. */
    private static void packB(
            float[] b, int bOff, int ldb, boolean transB, int k, int n, float[] packed, int g0, int g1) {
        for (int g = g0; g < g1; g++) {
            int j0 = g * NT, cols = Math.min(NT, n - j0), base = g * k * NT;
            if (!transB) {
                for (int p = 0; p < k; p++) {
                    int dst = base + p * NT;
                    System.arraycopy(b, bOff + p * ldb + j0, packed, dst, cols);
                    if (cols < NT) Arrays.fill(packed, dst + cols, dst + NT, 0f);
                }
            } else {
                if (cols < NT) Arrays.fill(packed, base, base + k * NT, 0f);
                // 16 columns of B's rows at a time: both reads and writes stay in L1 whatever the stride
                for (int p0 = 0; p0 < k; p0 += 16) {
                    int p1 = Math.min(k, p0 + 16);
                    for (int j = 0; j < cols; j++) {
                        int src = bOff + (j0 + j) * ldb;
                        for (int p = p0; p < p1; p++) packed[base + p * NT + j] = b[src + p];
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [i0, i1)} and column groups {@code [g0, g1)} of C: A packed KC columns at a time (an L2-sized block),
     * then micro-tiles over B's groups, each group's KC × NT slice staying in L1 while all the block's tiles use it.
     */
    private static void rowBlock(
            int i0,
            int i1,
            int g0,
            int g1,
            int n,
            int k,
            float[] a,
            int aOff,
            int lda,
            boolean transA,
            float[] packedB,
            float[] c,
            int cOff,
            int ldc,
            boolean accumulate) {
        float[][] mine = FLOAT_SCRATCH.get();
        if (mine[1].length < MC * KC) mine[1] = new float[MC * KC];
        float[] packedA = mine[1], edge = mine[2];
        int j0 = g0 * NT, j1 = Math.min(n, g1 * NT);
        if (!accumulate) for (int i = i0; i < i1; i++) Arrays.fill(c, cOff + i * ldc + j0, cOff + i * ldc + j1, 0f);
        int rows = i1 - i0, tiles = Math.ceilDiv(rows, MR);
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            if (!transA) {
                for (int r = 0; r < rows; r++) System.arraycopy(a, aOff + (i0 + r) * lda + k0, packedA, r * KC, kc);
            } else { // along A's rows (contiguous reads), not down its columns (a stride that thrashes L1)
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (k0 + p) * lda + i0;
                    for (int r = 0; r < rows; r++) packedA[r * KC + p] = a[src + r];
                }
            }
            for (int r = rows; r < tiles * MR; r++) Arrays.fill(packedA, r * KC, r * KC + kc, 0f);
            for (int g = g0; g < g1; g++) {
                int jg = g * NT, cols = Math.min(NT, n - jg), bk = (g * k + k0) * NT;
                for (int t = 0; t < tiles; t++) {
                    int i = i0 + t * MR, tileRows = Math.min(MR, i1 - i);
                    if (tileRows == MR && cols == NT) {
                        microTile(packedA, t * MR * KC, KC, kc, packedB, bk, c, cOff + i * ldc + jg, ldc);
                    } else { // an edge: through a full-size tile, the same sums in the same order
                        Arrays.fill(edge, 0f);
                        for (int r = 0; r < tileRows; r++)
                            System.arraycopy(c, cOff + (i + r) * ldc + jg, edge, r * NT, cols);
                        microTile(packedA, t * MR * KC, KC, kc, packedB, bk, edge, 0, NT);
                        for (int r = 0; r < tileRows; r++)
                            System.arraycopy(edge, r * NT, c, cOff + (i + r) * ldc + jg, cols);
                    }
                }
            }
        }
    }

    /**
     * {@code acc[i][0..NT) += Σ_k w[i][k] · x[k][0..NT)} for the tile's {@link #MR} rows ({@code w} rows {@code ws}
     * apart, {@code acc} rows {@code accStride} apart), over {@code kc} columns, each sum in order of k.
     */
    static void microTile(
            float[] w, int wOff, int ws, int kc, float[] x, int xOff, float[] acc, int accOff, int accStride) {
        if (MR == 12) microTile12(w, wOff, ws, kc, x, xOff, acc, accOff, accStride);
        else microTile6(w, wOff, ws, kc, x, xOff, acc, accOff, accStride);
    }

    /** {@link #microTile} for 6 rows. */
    static void microTile6(
            float[] w, int wOff, int ws, int kc, float[] x, int xOff, float[] acc, int accOff, int accStride) {
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
            b = FloatVector.broadcast(F, w[wk + ws]);
            c10 = x0.fma(b, c10);
            c11 = x1.fma(b, c11);
            b = FloatVector.broadcast(F, w[wk + 2 * ws]);
            c20 = x0.fma(b, c20);
            c21 = x1.fma(b, c21);
            b = FloatVector.broadcast(F, w[wk + 3 * ws]);
            c30 = x0.fma(b, c30);
            c31 = x1.fma(b, c31);
            b = FloatVector.broadcast(F, w[wk + 4 * ws]);
            c40 = x0.fma(b, c40);
            c41 = x1.fma(b, c41);
            b = FloatVector.broadcast(F, w[wk + 5 * ws]);
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

    /** {@link #microTile} for 12 rows (the 6-row tile twice over, sharing each column's token loads). */
    static void microTile12(
            float[] w, int wOff, int ws, int kc, float[] x, int xOff, float[] acc, int accOff, int accStride) {
        int h = F.length();
        int a0 = accOff, a1 = a0 + accStride, a2 = a1 + accStride, a3 = a2 + accStride, a4 = a3 + accStride;
        int a5 = a4 + accStride, a6 = a5 + accStride, a7 = a6 + accStride, a8 = a7 + accStride, a9 = a8 + accStride;
        int a10 = a9 + accStride, a11 = a10 + accStride;
        FloatVector c00 = FloatVector.fromArray(F, acc, a0), c01 = FloatVector.fromArray(F, acc, a0 + h);
        FloatVector c10 = FloatVector.fromArray(F, acc, a1), c11 = FloatVector.fromArray(F, acc, a1 + h);
        FloatVector c20 = FloatVector.fromArray(F, acc, a2), c21 = FloatVector.fromArray(F, acc, a2 + h);
        FloatVector c30 = FloatVector.fromArray(F, acc, a3), c31 = FloatVector.fromArray(F, acc, a3 + h);
        FloatVector c40 = FloatVector.fromArray(F, acc, a4), c41 = FloatVector.fromArray(F, acc, a4 + h);
        FloatVector c50 = FloatVector.fromArray(F, acc, a5), c51 = FloatVector.fromArray(F, acc, a5 + h);
        FloatVector c60 = FloatVector.fromArray(F, acc, a6), c61 = FloatVector.fromArray(F, acc, a6 + h);
        FloatVector c70 = FloatVector.fromArray(F, acc, a7), c71 = FloatVector.fromArray(F, acc, a7 + h);
        FloatVector c80 = FloatVector.fromArray(F, acc, a8), c81 = FloatVector.fromArray(F, acc, a8 + h);
        FloatVector c90 = FloatVector.fromArray(F, acc, a9), c91 = FloatVector.fromArray(F, acc, a9 + h);
        FloatVector c100 = FloatVector.fromArray(F, acc, a10), c101 = FloatVector.fromArray(F, acc, a10 + h);
        FloatVector c110 = FloatVector.fromArray(F, acc, a11), c111 = FloatVector.fromArray(F, acc, a11 + h);
        for (int k = 0; k < kc; k++) {
            int xk = xOff + k * NT, wk = wOff + k;
            FloatVector x0 = FloatVector.fromArray(F, x, xk), x1 = FloatVector.fromArray(F, x, xk + h);
            FloatVector b = FloatVector.broadcast(F, w[wk]);
            c00 = x0.fma(b, c00);
            c01 = x1.fma(b, c01);
            b = FloatVector.broadcast(F, w[wk + ws]);
            c10 = x0.fma(b, c10);
            c11 = x1.fma(b, c11);
            b = FloatVector.broadcast(F, w[wk + 2 * ws]);
            c20 = x0.fma(b, c20);
            c21 = x1.fma(b, c21);
            b = FloatVector.broadcast(F, w[wk + 3 * ws]);
            c30 = x0.fma(b, c30);
            c31 = x1.fma(b, c31);
            b = FloatVector.broadcast(F, w[wk + 4 * ws]);
            c40 = x0.fma(b, c40);
            c41 = x1.fma(b, c41);
            b = FloatVector.broadcast(F, w[wk + 5 * ws]);
            c50 = x0.fma(b, c50);
            c51 = x1.fma(b, c51);
            b = FloatVector.broadcast(F, w[wk + 6 * ws]);
            c60 = x0.fma(b, c60);
            c61 = x1.fma(b, c61);
            b = FloatVector.broadcast(F, w[wk + 7 * ws]);
            c70 = x0.fma(b, c70);
            c71 = x1.fma(b, c71);
            b = FloatVector.broadcast(F, w[wk + 8 * ws]);
            c80 = x0.fma(b, c80);
            c81 = x1.fma(b, c81);
            b = FloatVector.broadcast(F, w[wk + 9 * ws]);
            c90 = x0.fma(b, c90);
            c91 = x1.fma(b, c91);
            b = FloatVector.broadcast(F, w[wk + 10 * ws]);
            c100 = x0.fma(b, c100);
            c101 = x1.fma(b, c101);
            b = FloatVector.broadcast(F, w[wk + 11 * ws]);
            c110 = x0.fma(b, c110);
            c111 = x1.fma(b, c111);
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
        c60.intoArray(acc, a6);
        c61.intoArray(acc, a6 + h);
        c70.intoArray(acc, a7);
        c71.intoArray(acc, a7 + h);
        c80.intoArray(acc, a8);
        c81.intoArray(acc, a8 + h);
        c90.intoArray(acc, a9);
        c91.intoArray(acc, a9 + h);
        c100.intoArray(acc, a10);
        c101.intoArray(acc, a10 + h);
        c110.intoArray(acc, a11);
        c111.intoArray(acc, a11 + h);
    }
}
