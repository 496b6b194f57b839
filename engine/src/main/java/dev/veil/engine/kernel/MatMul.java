package dev.veil.engine.kernel;

import dev.veil.model.DType;
import java.util.Arrays;

/**
 * {@code out[n × rows] = x[n × cols] · Wᵀ} for weights in F32, F16 or BF16, multi-threaded over output rows.
 *
 * <p>Decode and small batches ({@code n < }{@value #GEMM_MIN_TOKENS}) are bound by memory bandwidth: each weight row
 * is streamed once straight from the (memory-mapped) segment, widened in registers ({@link Matrix#dotRow}) and, while
 * it sits in L1, multiplied with every token. Short prompts and MoE experts' batches of F32 or BF16 ({@value
 * RowTiles#MIN_TOKENS} to {@value RowTiles#MAX_TOKENS} tokens) go to {@link RowTiles} (4×4 register tiles, still
 * widening in registers); larger batches (prefill) are bound by arithmetic and go to {@link Gemm}.
 *
 * <p>Several matrices with the same number of columns can be multiplied as one stack (Q, K and V; gate and up): their
 * outputs are concatenated per token and the threads share one job instead of two or three.
 */
public final class MatMul {

    /** From this many tokens on, the blocked kernel beats streaming each row once and reusing it from L1 (measured). */
    static final int GEMM_MIN_TOKENS = 8;

    /**
     * Quantized weights, up to this many tokens: {@link TiledRows} (16 rows dequantized at once, 4×4 float tiles)
     * rather than {@link Gemm}, whose 32-token groups a prompt of 33–48 tokens fills by as little as half. Q8_0/Q4_K/Q6_K
     * 2816×1024, one thread, × Gemm's speed: 2.5× at 8 tokens, 1.6× at 16, 0.8× at 32 on one machine; 1.0× at 32,
     * 1.1–1.8× at 40–80, 0.92–1.12× at 128 on another; whole prompts there, 38 / 64 / 128 tokens: the 0.5B shape's
     * Q4_K_M 1.7 / 1.2 / 1.0–1.1×, the 200M Llama's 1.4 / 1.0 / 0.95× (quantization.md).
     */
    static final int QUANT_TILED_MAX_TOKENS = 64;

    private MatMul() {}

    /**
     * Whether a product of {@code n} tokens under {@code batching} streams each weight row once (decode and the
     * shortest prompts): the only products that read quantized matrices' {@link Matrix#packed} tiles. Every other
     * product dequantizes blocks from {@link Matrix#data}.
     */
    public static boolean streamsRows(Batching batching, int n) {
        return batching == Batching.FASTEST && n < GEMM_MIN_TOKENS;
    }

    /** How a product of several tokens may be computed. */
    public enum Batching {
        /** The fastest kernel for the batch size: row streaming for a few tokens, the blocked {@link Gemm} for more. */
        FASTEST,
        /**
         * {@link TiledRows} whatever the batch size: every dot product summed in one fixed order, so a token's outputs
         * are bit for bit the same whichever tokens it is batched with (the fastest kernels sum in orders that depend
         * on the batch size and on the JIT). A server needs this for a sequence to generate the same tokens alone as in
         * any batch; large prefills pay for it (no blocked GEMM).
         */
        INVARIANT,
        /**
         * Quantized weights dequantized and multiplied with the input itself, in float: the product is linear in
         * {@code x} up to float rounding, which Talaria's masking needs ({@code W·(x + m) − W·m = W·x}). The other
         * settings quantize the input to 8 bits per block first, as llama.cpp does; that rounding is not linear, so a
         * masked row would round differently from the row itself. Float weights: as {@link #FASTEST}.
         */
        LINEAR
    }

    /** {@code out[t × w.rows + r] = Σ_k x[t × w.cols + k] · w[r, k]} for {@code t < n}. */
    public static void multiply(Parallel parallel, float[] x, int n, Matrix w, float[] out) {
        multiply(parallel, x, n, new Matrix[] {w}, out);
    }

    public static void multiply(Parallel parallel, float[] x, int n, Matrix[] stack, float[] out) {
        multiply(parallel, x, n, stack, out, Batching.FASTEST);
    }

    /**
     * Multiplies {@code x} by every matrix of {@code stack} (all with the same columns); token {@code t}'s outputs are
     * {@code out[t × R .. (t + 1) × R)} with {@code R} the total rows, the matrices' outputs one after another.
     */
    public static void multiply(Parallel parallel, float[] x, int n, Matrix[] stack, float[] out, Batching batching) {
        int cols = stack[0].cols();
        int[] start = new int[stack.length + 1];
        for (int m = 0; m < stack.length; m++) {
            if (stack[m].cols() != cols)
                throw new IllegalArgumentException("stacked matrices " + stack[0].name() + " and " + stack[m].name()
                        + " differ in columns (" + cols + " vs " + stack[m].cols() + ")");
            start[m + 1] = start[m] + stack[m].rows();
        }
        int rows = start[stack.length];
        if (n < 0 || x.length < (long) n * cols)
            throw new IllegalArgumentException(
                    "input holds " + x.length + " floats, fewer than " + n + " rows of " + cols);
        if (out.length < (long) n * rows)
            throw new IllegalArgumentException(
                    "output holds " + out.length + " floats, fewer than " + n + " rows of " + rows);
        if (n == 0) return;
        if (Arrays.stream(stack).anyMatch(m -> m.dtype().isQuantized())) {
            multiplyQuantized(parallel, x, n, stack, out, batching, start, rows, cols);
        } else if (batching == Batching.INVARIANT) {
            parallel.forRange(
                    rows,
                    TiledRows.ROW_BLOCK,
                    (from, to) -> forEachPart(
                            start,
                            from,
                            to,
                            (m, lo, hi) -> TiledRows.multiply(stack[m], lo, hi, x, n, out, rows, start[m])));
        } else if (n >= RowTiles.MIN_TOKENS && n <= RowTiles.MAX_TOKENS && RowTiles.covers(stack)) {
            float[] pairs = usesPairs(stack) ? Matrix.splitPairs(x, n, cols) : null;
            parallel.forRange(
                    rows,
                    RowTiles.ROWS,
                    (from, to) -> forEachPart(
                            start,
                            from,
                            to,
                            (m, lo, hi) -> RowTiles.multiply(stack[m], lo, hi, x, pairs, n, out, rows, start[m])));
        } else if (n < GEMM_MIN_TOKENS) {
            float[] pairs = usesPairs(stack) ? Matrix.splitPairs(x, n, cols) : null;
            parallel.forRange(
                    rows,
                    4,
                    (from, to) -> forEachPart(
                            start,
                            from,
                            to,
                            (m, lo, hi) -> rowsTimesTokens(stack[m], lo, hi, x, pairs, n, out, rows, start[m])));
        } else {
            Gemm.Tokens tokens = Gemm.Tokens.pack(parallel, x, n, cols);
            parallel.forRange(
                    rows,
                    Gemm.PANEL,
                    (from, to) -> forEachPart(
                            start,
                            from,
                            to,
                            (m, lo, hi) -> Gemm.multiply(stack[m], lo, hi, tokens, out, rows, start[m])));
        }
    }

    /**
     * A stack with quantized matrices: as llama.cpp does, the input is quantized once per activation type (Q8_0 or
     * Q8_K) and every quantized row multiplies those integers; float matrices in the stack multiply {@code x} itself.
     * The blocked kernels ({@link Gemm}, {@link TiledRows}) multiply the dequantized weights by the dequantized
     * activations: the same products, summed in their own order. {@link Batching#LINEAR} skips the input's
     * quantization: the blocked kernels multiply the dequantized weights by {@code x} itself.
     */
    private static void multiplyQuantized(
            Parallel parallel,
            float[] x,
            int n,
            Matrix[] stack,
            float[] out,
            Batching batching,
            int[] start,
            int rows,
            int cols) {
        Q8Input[] inputs = new Q8Input[stack.length];
        for (int m = 0; m < stack.length; m++) {
            if (!stack[m].dtype().isQuantized() || batching == Batching.LINEAR) continue;
            for (int e = 0; e < m && inputs[m] == null; e++)
                if (inputs[e] != null && inputs[e].block() == Q8Input.blockFor(stack[m].dtype())) inputs[m] = inputs[e];
            if (inputs[m] == null) inputs[m] = Q8Input.of(parallel, stack[m].dtype(), x, n, cols);
        }
        if (!streamsRows(batching, n)) {
            float[][] xs = new float[stack.length][];
            for (int m = 0; m < stack.length; m++) {
                for (int e = 0; e < m && xs[m] == null; e++) if (inputs[e] == inputs[m]) xs[m] = xs[e];
                if (xs[m] == null) xs[m] = inputs[m] == null ? x : inputs[m].dequantized();
            }
            // LINEAR's few-token products (decode) and every short prompt in TiledRows: a weight block dequantized
            // once for all the tokens (packed types too: their kernels take one token per pass, Q4_K's at 0.6×
            // TiledRows' speed with 16 tokens, quantization.md)
            if (batching == Batching.INVARIANT || n <= QUANT_TILED_MAX_TOKENS) {
                parallel.forRange(
                        rows,
                        TiledRows.ROW_BLOCK,
                        (from, to) -> forEachPart(
                                start,
                                from,
                                to,
                                (m, lo, hi) -> TiledRows.multiply(stack[m], lo, hi, xs[m], n, out, rows, start[m])));
            } else {
                Gemm.Tokens[] packed = new Gemm.Tokens[stack.length];
                for (int m = 0; m < stack.length; m++) {
                    for (int e = 0; e < m && packed[m] == null; e++) if (xs[e] == xs[m]) packed[m] = packed[e];
                    if (packed[m] == null) packed[m] = Gemm.Tokens.pack(parallel, xs[m], n, cols);
                }
                parallel.forRange(
                        rows,
                        Gemm.PANEL,
                        (from, to) -> forEachPart(
                                start,
                                from,
                                to,
                                (m, lo, hi) -> Gemm.multiply(stack[m], lo, hi, packed[m], out, rows, start[m])));
            }
            return;
        }
        // whole tiles of packed rows per task where a matrix is packed
        int grain = Arrays.stream(stack).anyMatch(m -> m.packed() != null) ? PackedTiles.ROWS : 4;
        parallel.forRange(
                rows,
                grain,
                (from, to) -> forEachPart(start, from, to, (m, lo, hi) -> {
                    if (inputs[m] == null) rowsTimesTokens(stack[m], lo, hi, x, null, n, out, rows, start[m]);
                    else quantizedRowsTimesTokens(stack[m], lo, hi, inputs[m], n, out, rows, start[m]);
                }));
    }

    /** {@link #rowsTimesTokens} for a quantized matrix: each type's kernel runs the row and token loops itself. */
    static void quantizedRowsTimesTokens(
            Matrix w, int r0, int r1, Q8Input a, int n, float[] out, int outStride, int outCol) {
        if (!QuantKernels.VECTOR) {
            for (int r = r0; r < r1; r++)
                for (int t = 0; t < n; t++) out[t * outStride + outCol + r] = w.dotRow(r, a, t);
            return;
        }
        if (w.packed() != null) { // the row-lane tiles the local backend repacked
            PackedTiles.multiply(w, r0, r1, a, 0, n, out, outStride, outCol);
            return;
        }
        switch (w.dtype()) {
            case Q8_0 -> QuantKernels.rowsQ8_0(w, r0, r1, a, 0, n, out, outStride, outCol);
            case Q5_0 -> QuantKernels.rowsQ5_0(w, r0, r1, a, 0, n, out, outStride, outCol);
            case Q4_K -> QuantKernels.rowsQ4_K(w, r0, r1, a, 0, n, out, outStride, outCol);
            case Q6_K -> QuantKernels.rowsQ6_K(w, r0, r1, a, 0, n, out, outStride, outCol);
            default -> throw new AssertionError(w.dtype());
        }
    }

    private interface Part {
        void run(int matrix, int from, int to);
    }

    /** Splits the stacked row range {@code [from, to)} into per-matrix row ranges. */
    private static void forEachPart(int[] start, int from, int to, Part part) {
        for (int m = 0; m + 1 < start.length; m++) {
            int lo = Math.max(from, start[m]), hi = Math.min(to, start[m + 1]);
            if (lo < hi) part.run(m, lo - start[m], hi - start[m]);
        }
    }

    /**
     * BF16 and F16 rows of even length are multiplied two weights per int lane ({@link Matrix#dotRowBF16Pairs},
     * {@link Matrix#dotRowF16Pairs}).
     */
    private static boolean usesPairs(Matrix[] stack) {
        return (stack[0].dtype() == DType.BF16 || stack[0].dtype() == DType.F16) && stack[0].cols() % 2 == 0;
    }

    /**
     * {@code out[t × outStride + outCol + r] = x[t] · w[r]} for rows {@code [r0, r1)}, each row read once; BF16 and
     * F16 rows read {@code pairs} ({@code x} split by {@link Matrix#splitPairs}) when it is given.
     */
    static void rowsTimesTokens(
            Matrix w, int r0, int r1, float[] x, float[] pairs, int n, float[] out, int outStride, int outCol) {
        int cols = w.cols();
        // One loop per kernel, the type switch outside them, so that each call site sees one kernel.
        switch (w.dtype()) {
            case F32 -> {
                for (int r = r0; r < r1; r++)
                    for (int t = 0; t < n; t++) out[t * outStride + outCol + r] = w.dotRowF32(r, x, t * cols);
            }
            case F16 -> {
                if (pairs != null) {
                    for (int r = r0; r < r1; r++)
                        for (int t = 0; t < n; t++)
                            out[t * outStride + outCol + r] = w.dotRowF16Pairs(r, pairs, t * cols);
                } else {
                    for (int r = r0; r < r1; r++)
                        for (int t = 0; t < n; t++) out[t * outStride + outCol + r] = w.dotRowF16(r, x, t * cols);
                }
            }
            case BF16 -> {
                if (pairs != null) {
                    for (int r = r0; r < r1; r++)
                        for (int t = 0; t < n; t++)
                            out[t * outStride + outCol + r] = w.dotRowBF16Pairs(r, pairs, t * cols);
                } else {
                    for (int r = r0; r < r1; r++)
                        for (int t = 0; t < n; t++) out[t * outStride + outCol + r] = w.dotRowBF16(r, x, t * cols);
                }
            }
            default -> throw new AssertionError(w.dtype());
        }
    }
}
