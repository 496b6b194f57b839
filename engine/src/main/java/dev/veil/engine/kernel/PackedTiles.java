package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;
import static dev.veil.engine.kernel.Half.I;

import dev.veil.model.DType;
import dev.veil.model.Quant;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K, Q6_K, Q5_0 and Q8_0 weights repacked into tiles of {@link #ROWS} rows (32 with AVX-512) whose rows are the lanes
 * of the vectors (one row per 16-bit lane), and the decode product on that layout. The local backend repacks a model's
 * matrices before its first product that streams rows (decode, prompts of a few tokens), not at load.
 *
 * <p>Why: {@link QuantKernels#rowsQ4_K}, {@link QuantKernels#rowsQ6_K} and {@link QuantKernels#rowsQ5_0} read one row
 * at a time, so their lanes hold positions of one row, and the products must be summed across lanes per scale group (a
 * three-instruction pair sum into int lanes, then an int multiply by the group's scale, per 32 weights). With rows as
 * lanes, the product is an outer product instead: for each position {@code k}, {@code acc += w[rows, k] · x[k]} with
 * {@code x[k]} broadcast, in 16-bit lanes; every 16 (Q4_K: {@code |w·x| ≤ 15 · 127}) or 8 (Q6_K: {@code ≤ 32 · 127})
 * positions the shorts widen to int lanes, and a scale group's scale is one vector multiply for all {@code ROWS} rows.
 * Q4_K: about 10 vector instructions per 64 weights instead of ~21. The integer sum per row and super-block is exactly
 * llama.cpp's; only the float summation order differs from {@link QuantKernels} (each super-block's int sum is
 * converted once, not per lane). llama.cpp's CPU backend likewise repacks Q4_K into 8-row interleaved blocks at load
 * ({@code ggml_gemv_q4_K_8x8_q8_K}).
 *
 * <p>Layouts, per tile of {@code ROWS = 2L} rows ({@code L} float lanes) and super-block, tile {@code t}'s super-block
 * {@code b} at {@code (t · blocks + b) · bytes}. Per-row values are stored even rows first, then odd rows ("E/O"
 * order: a 16-bit lane pair read as one int lane splits into the even row's short and the odd row's with two shifts,
 * so the widened sums come out as an even-row and an odd-row int vector). Rows past the matrix's last fill the last
 * tile with zeros (their products are computed and dropped).
 *
 * <p>Q4_K ({@link #Q4_BYTES}, 4864 for L = 16 against 32 · 144 = 4608 in ggml's layout, 5.6% more): four chunks
 * of two sub-blocks {@code 2c, 2c + 1}, each the rows' 6-bit scales of the two as bytes (E/O order) and then 32
 * groups of {@code ROWS} bytes, group {@code l}'s byte {@code i} the original byte {@code 16 + 32c + l} of row
 * {@code i}'s block (low nibble position {@code 64c + l}, high nibble 32 further); then the mins (bytes, E/O per
 * sub-block), {@code d} and {@code dmin} (floats, E/O).
 *
 * <p>Q6_K ({@link #Q6_BYTES}, 6784 for L = 16 against 32 · 210 = 6720, 1% more): 16 scale groups, each the rows' int8
 * scales (E/O) and then four groups of four positions {@code 4g .. 4g + 3}, each three runs of {@code ROWS} bytes
 * {@code a, b, c} holding the rows' 6-bit weights {@code w0..w3} (−32..31): {@code a = w0 << 2 | (w3 >> 4 & 3)},
 * {@code b = w1 << 2 | (w3 >> 2 & 3)}, {@code c = w2 << 2 | (w3 & 3)}; then {@code d} (floats, E/O). Read as
 * sign-extended shorts, {@code w0 = a >> 2} (likewise w1, w2) and {@code w3 = (a << 14 >> 10) | (b & 3) << 2 | c & 3}:
 * 6 bits per weight as in ggml's layout, decoded in 10 instructions per four positions.
 *
 * <p>Q5_0 ({@link #Q5_BYTES} per tile and 32-block, 22 per row as in ggml's layout): the complemented fifth bits (four
 * runs of {@code ROWS} bytes: bits of positions 0–7, 8–15, 16–23, 24–31), 16 runs of the original nibble bytes
 * (low nibble position {@code l}, high {@code l + 16}), then {@code d} as f16 (E/O).
 *
 * <p>Q8_0 ({@link #Q8_BYTES} per tile and 32-block, 34 per row as in ggml's layout): 32 runs of {@code ROWS} int8
 * weights, then {@code d} as f16 (E/O). Two positions per 16-bit sum ({@code |w·x| ≤ 128 · 127}).
 */
final class PackedTiles {
    private PackedTiles() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int L = F.length();
    /** Rows per tile: the lanes of a short vector as wide as {@link Half#F}. */
    static final int ROWS = 2 * L;

    // Each layout is in the order the kernel reads it: with the scales in a region of their own, read a little per
    // group beside the weights, Q6_K streamed from DRAM at 7 GB/s of blocks (10.5 in ggml's layout), and at 19 with
    // each group's scales just before its weights (32000×1024, one thread; quantization.md).
    /** Q4_K: the chunks of two sub-blocks (32 bytes per row in ggml), each their scales then 32 groups of weights. */
    private static final int Q4_CHUNK = 2 * ROWS + 32 * ROWS;

    private static final int MINS = 4 * Q4_CHUNK, D4 = MINS + 8 * ROWS, DMIN = D4 + 4 * ROWS;
    /** Q4_K: bytes per tile and super-block. */
    static final int Q4_BYTES = DMIN + 4 * ROWS;

    /** Q6_K: the 16 scale groups, each its scales then its four runs of four positions' weights. */
    private static final int Q6_GROUP = ROWS + 4 * 3 * ROWS, D6 = 16 * Q6_GROUP;
    /** Q6_K: bytes per tile and super-block. */
    static final int Q6_BYTES = D6 + 4 * ROWS;

    /** Q5_0, per 32-block: the complemented high bits (4 runs), 16 runs of nibble pairs, then d as f16 (E/O). */
    private static final int Q5_NIBBLES = 4 * ROWS, D5 = Q5_NIBBLES + 16 * ROWS;
    /** Q5_0: bytes per tile and block, as many as in ggml's layout (22 per row). */
    static final int Q5_BYTES = D5 + 2 * ROWS;

    /** Q8_0, per 32-block: the 32 positions' int8 weights, then d as f16 (E/O). */
    private static final int D8 = 32 * ROWS;
    /** Q8_0: bytes per tile and block, as many as in ggml's layout (34 per row). */
    static final int Q8_BYTES = D8 + 2 * ROWS;

    /** Bytes per tile and super-block of {@code type}'s layout. */
    static int bytes(DType type) {
        return switch (type) {
            case Q4_K -> Q4_BYTES;
            case Q6_K -> Q6_BYTES;
            case Q5_0 -> Q5_BYTES;
            case Q8_0 -> Q8_BYTES;
            default -> throw new IllegalArgumentException(type + " is not repacked (Q4_K, Q6_K, Q5_0 and Q8_0 are)");
        };
    }

    /** Whether this kernel runs here: the vector kernels apply ({@link QuantKernels#VECTOR}). */
    static final boolean AVAILABLE = QuantKernels.VECTOR;

    // QuantKernels' species: B, L bytes (one E or O half of a group's scales); S, 2L shorts (one lane per row of a
    // tile); BS, 2L bytes (one position's weights of a tile)
    private static final VectorSpecies<Byte> B = QuantKernels.B, BS = QuantKernels.BS;
    private static final VectorSpecies<Short> S = QuantKernels.S;

    /**
     * {@code w} (in ggml's layout) repacked into tiles, in memory advised to use huge pages; the tiles split among
     * {@code parallel}'s threads (null: this thread). A tile's rows are copied to an array in one piece, packed into
     * another with plain array indexing and copied out in one piece: a cold JVM (the packing runs before the first
     * token, interpreted or in C1) runs that far faster than a segment access or a copy per row and block.
     */
    static MemorySegment pack(Matrix w, Parallel parallel) {
        DType type = w.dtype();
        int tileBytes = bytes(type), blockBytes = type.bytes;
        int rows = w.rows(), blocks = w.cols() / type.blockSize, tiles = Math.ceilDiv(rows, ROWS);
        int rowBytes = blocks * blockBytes;
        MemorySegment src = w.data(), dst = HugePages.allocate((long) tiles * blocks * tileBytes);
        Parallel.RangeBody body = (from, to) -> {
            byte[] in = new byte[ROWS * rowBytes], out = new byte[blocks * tileBytes];
            int[] weights = new int[Quant.QK_K]; // Q6_K's, reused
            for (int tl = from; tl < to; tl++) {
                int n = Math.min(ROWS, rows - tl * ROWS);
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (long) tl * ROWS * rowBytes, in, 0, n * rowBytes);
                if (n < ROWS) Arrays.fill(out, (byte) 0); // the rows past the matrix's end (every other byte is set)
                for (int k = 0; k < blocks; k++)
                    for (int i = 0; i < n; i++) {
                        int at = i * rowBytes + k * blockBytes, o = k * tileBytes;
                        switch (type) {
                            case Q4_K -> packQ4_K(in, at, i, out, o);
                            case Q6_K -> packQ6_K(in, at, i, out, o, weights);
                            case Q5_0 -> packQ5_0(in, at, i, out, o);
                            default -> packQ8_0(in, at, i, out, o);
                        }
                    }
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, (long) tl * blocks * tileBytes, out.length);
            }
        };
        if (parallel == null) body.run(0, tiles);
        else parallel.forRange(tiles, 1, body);
        HugePages.collapse(dst);
        return dst;
    }

    /** The f16 at {@code b[at]} (little-endian). */
    private static float f16(byte[] b, int at) {
        return Float.float16ToFloat((short) (b[at] & 0xFF | b[at + 1] << 8));
    }

    /** {@code v} at {@code b[at]} as a little-endian float, as the kernels read it. */
    private static void putFloat(byte[] b, int at, float v) {
        int bits = Float.floatToRawIntBits(v);
        for (int j = 0; j < 4; j++) b[at + j] = (byte) (bits >>> 8 * j);
    }

    /** Row {@code i} of a tile at {@code tile[o]}: its Q4_K block at {@code src[s]}. */
    private static void packQ4_K(byte[] src, int s, int i, byte[] tile, int o) {
        int lane = i % 2 * L + i / 2;
        putFloat(tile, o + D4 + 4 * lane, f16(src, s));
        putFloat(tile, o + DMIN + 4 * lane, f16(src, s + 2));
        for (int j = 0; j < 8; j++) {
            tile[o + j / 2 * Q4_CHUNK + j % 2 * ROWS + lane] = (byte) Quant.scaleK4(src, s + 4, j);
            tile[o + MINS + j * ROWS + lane] = (byte) Quant.minK4(src, s + 4, j);
        }
        for (int g = 0; g < 128; g++) tile[o + g / 32 * Q4_CHUNK + 2 * ROWS + g % 32 * ROWS + i] = src[s + 16 + g];
    }

    /** Row {@code i} of a tile at {@code tile[o]}: its Q6_K block at {@code src[s]} (dequantize_row_q6_K's order). */
    private static void packQ6_K(byte[] src, int s, int i, byte[] tile, int o, int[] w) {
        int lane = i % 2 * L + i / 2;
        putFloat(tile, o + D6 + 4 * lane, f16(src, s + 208));
        for (int g = 0; g < 16; g++) tile[o + g * Q6_GROUP + lane] = src[s + 192 + g];
        for (int half = 0; half < 2; half++)
            for (int l = 0; l < 32; l++) {
                int ql0 = src[s + 64 * half + l] & 0xFF,
                        ql1 = src[s + 64 * half + 32 + l] & 0xFF,
                        h = src[s + 128 + 32 * half + l] & 0xFF;
                int k = 128 * half + l;
                w[k] = ((ql0 & 0xF) | (h & 3) << 4) - 32;
                w[k + 32] = ((ql1 & 0xF) | (h >> 2 & 3) << 4) - 32;
                w[k + 64] = ((ql0 >>> 4) | (h >> 4 & 3) << 4) - 32;
                w[k + 96] = ((ql1 >>> 4) | (h >> 6 & 3) << 4) - 32;
            }
        for (int g = 0; g < 64; g++) {
            int w0 = w[4 * g], w1 = w[4 * g + 1], w2 = w[4 * g + 2], w3 = w[4 * g + 3];
            int at = o + g / 4 * Q6_GROUP + ROWS + g % 4 * 3 * ROWS + i;
            tile[at] = (byte) (w0 << 2 | (w3 >> 4 & 3));
            tile[at + ROWS] = (byte) (w1 << 2 | (w3 >> 2 & 3));
            tile[at + 2 * ROWS] = (byte) (w2 << 2 | (w3 & 3));
        }
    }

    /**
     * Rows {@code [r0, r1)} of {@code w} (packed: {@link Matrix#packed}) times tokens {@code [t0, t1)} of {@code a}
     * into {@code out[t × outStride + outCol + r]}. The token loop is inside the tile loop: a tile's weights stay in
     * L2 while the tokens pass (one token per pass: at 16 tokens {@link TiledRows} is faster, quantization.md).
     */
    static void multiply(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        switch (w.dtype()) {
            case Q4_K -> multiplyQ4_K(w, r0, r1, a, t0, t1, out, outStride, outCol);
            case Q6_K -> multiplyQ6_K(w, r0, r1, a, t0, t1, out, outStride, outCol);
            case Q5_0 -> multiplyQ5_0(w, r0, r1, a, t0, t1, out, outStride, outCol);
            default -> multiplyQ8_0(w, r0, r1, a, t0, t1, out, outStride, outCol);
        }
    }

    private static void multiplyQ4_K(
            Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment p = w.packed();
        int cols = w.cols(), blocks = cols / Quant.QK_K;
        short[] q = a.qs();
        float[] d = a.d(), sums = a.sums(), lanes = new float[ROWS];
        for (int tile = r0 / ROWS; tile * ROWS < r1; tile++) {
            long base = (long) tile * blocks * Q4_BYTES;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks, sb = t * cols / 32;
                FloatVector accE = FloatVector.zero(F), accO = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = base + (long) b * Q4_BYTES;
                    int xb = x + Quant.QK_K * b;
                    IntVector sumE = IntVector.zero(I), sumO = IntVector.zero(I);
                    for (int c = 0; c < 4; c++) { // sub-blocks 2c (low nibbles) and 2c + 1 (high nibbles)
                        long chunk = at + (long) c * Q4_CHUNK;
                        IntVector loE = IntVector.zero(I), loO = loE, hiE = loE, hiO = loE;
                        for (int h = 0; h < 32; h += 16) { // 16 positions per 16-bit sum: ≤ 16 · 15 · 127
                            ShortVector lo = ShortVector.zero(S), hi = ShortVector.zero(S);
                            for (int l = h; l < h + 16; l++) {
                                ShortVector v = (ShortVector)
                                        ByteVector.fromMemorySegment(BS, p, chunk + 2 * ROWS + (long) l * ROWS, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                                lo = v.and((short) 0xF).mul(q[xb + 64 * c + l]).add((ShortVector)
                                        S.vectorType().cast(lo));
                                hi = v.lanewise(VectorOperators.LSHR, 4)
                                        .mul(q[xb + 64 * c + 32 + l])
                                        .add((ShortVector) S.vectorType().cast(hi));
                            }
                            // each int lane: the even row's short low, the odd row's high
                            IntVector li = ((ShortVector) S.vectorType().cast(lo)).reinterpretAsInts(),
                                    hv = ((ShortVector) S.vectorType().cast(hi)).reinterpretAsInts();
                            loE = ((IntVector) I.vectorType().cast(loE))
                                    .add(li.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                            loO = ((IntVector) I.vectorType().cast(loO)).add(li.lanewise(VectorOperators.ASHR, 16));
                            hiE = ((IntVector) I.vectorType().cast(hiE))
                                    .add(hv.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                            hiO = ((IntVector) I.vectorType().cast(hiO)).add(hv.lanewise(VectorOperators.ASHR, 16));
                        }
                        long s0 = chunk, s1 = chunk + ROWS;
                        sumE = ((IntVector) I.vectorType().cast(sumE))
                                .add(((IntVector) I.vectorType().cast(loE))
                                        .mul((IntVector) ByteVector.fromMemorySegment(B, p, s0, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)))
                                .add(((IntVector) I.vectorType().cast(hiE))
                                        .mul((IntVector) ByteVector.fromMemorySegment(B, p, s1, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)));
                        sumO = ((IntVector) I.vectorType().cast(sumO))
                                .add(((IntVector) I.vectorType().cast(loO))
                                        .mul((IntVector) ByteVector.fromMemorySegment(B, p, s0 + L, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)))
                                .add(((IntVector) I.vectorType().cast(hiO))
                                        .mul((IntVector) ByteVector.fromMemorySegment(B, p, s1 + L, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)));
                    }
                    // the mins: Σ_j m_j · (sum of the activations' sub-block j), exact in int (≤ 8 · 63 · 32 · 127)
                    IntVector minE = IntVector.zero(I), minO = IntVector.zero(I);
                    for (int j = 0; j < 8; j++) {
                        int bs = (int) sums[sb + 8 * b + j];
                        long m = at + MINS + (long) j * ROWS;
                        minE = ((IntVector) I.vectorType().cast(minE))
                                .add(((IntVector) ByteVector.fromMemorySegment(B, p, m, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                        .mul(bs));
                        minO = ((IntVector) I.vectorType().cast(minO))
                                .add(((IntVector) ByteVector.fromMemorySegment(B, p, m + L, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                        .mul(bs));
                    }
                    float dx = d[db + b];
                    FloatVector dxv = FloatVector.broadcast(F, dx), ndx = FloatVector.broadcast(F, -dx);
                    FloatVector dE = FloatVector.fromMemorySegment(F, p, at + D4, LE),
                            dO = FloatVector.fromMemorySegment(F, p, at + D4 + 4L * L, LE),
                            mE = FloatVector.fromMemorySegment(F, p, at + DMIN, LE),
                            mO = FloatVector.fromMemorySegment(F, p, at + DMIN + 4L * L, LE);
                    accE = ((FloatVector) ((IntVector) I.vectorType().cast(sumE)).convert(VectorOperators.I2F, 0))
                            .fma(dE.mul(dxv), (FloatVector) F.vectorType().cast(accE));
                    accO = ((FloatVector) ((IntVector) I.vectorType().cast(sumO)).convert(VectorOperators.I2F, 0))
                            .fma(dO.mul(dxv), (FloatVector) F.vectorType().cast(accO));
                    accE = ((FloatVector) ((IntVector) I.vectorType().cast(minE)).convert(VectorOperators.I2F, 0))
                            .fma(mE.mul(ndx), (FloatVector) F.vectorType().cast(accE));
                    accO = ((FloatVector) ((IntVector) I.vectorType().cast(minO)).convert(VectorOperators.I2F, 0))
                            .fma(mO.mul(ndx), (FloatVector) F.vectorType().cast(accO));
                }
                ((FloatVector) F.vectorType().cast(accE)).intoArray(lanes, 0);
                ((FloatVector) F.vectorType().cast(accO)).intoArray(lanes, L);
                scatter(lanes, tile, r0, r1, out, t * outStride + outCol);
            }
        }
    }

    private static void multiplyQ6_K(
            Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment p = w.packed();
        int cols = w.cols(), blocks = cols / Quant.QK_K;
        short[] q = a.qs();
        float[] d = a.d(), lanes = new float[ROWS];
        for (int tile = r0 / ROWS; tile * ROWS < r1; tile++) {
            long base = (long) tile * blocks * Q6_BYTES;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector accE = FloatVector.zero(F), accO = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = base + (long) b * Q6_BYTES;
                    int xb = x + Quant.QK_K * b;
                    IntVector sumE = IntVector.zero(I), sumO = IntVector.zero(I);
                    for (int g = 0; g < 16; g++) { // the scale groups of 16 positions
                        long group = at + (long) g * Q6_GROUP;
                        IntVector gE = IntVector.zero(I), gO = gE;
                        for (int h = 0; h < 16; h += 8) { // 8 positions per 16-bit sum: ≤ 8 · 32 · 127
                            ShortVector acc = ShortVector.zero(S);
                            for (int f = 0; f < 8; f += 4) {
                                int k = 16 * g + h + f;
                                long at4 = group + ROWS + (long) ((h + f) / 4) * 3 * ROWS;
                                ShortVector va = (ShortVector) ByteVector.fromMemorySegment(BS, p, at4, LE)
                                        .convertShape(VectorOperators.B2S, S, 0);
                                ShortVector vb = (ShortVector) ByteVector.fromMemorySegment(BS, p, at4 + ROWS, LE)
                                        .convertShape(VectorOperators.B2S, S, 0);
                                ShortVector vc = (ShortVector) ByteVector.fromMemorySegment(BS, p, at4 + 2 * ROWS, LE)
                                        .convertShape(VectorOperators.B2S, S, 0);
                                ShortVector w3 = va.lanewise(VectorOperators.LSHL, 14)
                                        .lanewise(VectorOperators.ASHR, 10)
                                        .or(vb.and((short) 3).lanewise(VectorOperators.LSHL, 2))
                                        .or(vc.and((short) 3));
                                acc = va.lanewise(VectorOperators.ASHR, 2)
                                        .mul(q[xb + k])
                                        .add((ShortVector) S.vectorType().cast(acc));
                                acc = vb.lanewise(VectorOperators.ASHR, 2)
                                        .mul(q[xb + k + 1])
                                        .add((ShortVector) S.vectorType().cast(acc));
                                acc = vc.lanewise(VectorOperators.ASHR, 2)
                                        .mul(q[xb + k + 2])
                                        .add((ShortVector) S.vectorType().cast(acc));
                                acc = w3.mul(q[xb + k + 3])
                                        .add((ShortVector) S.vectorType().cast(acc));
                            }
                            IntVector ai = ((ShortVector) S.vectorType().cast(acc)).reinterpretAsInts();
                            gE = ((IntVector) I.vectorType().cast(gE))
                                    .add(ai.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                            gO = ((IntVector) I.vectorType().cast(gO)).add(ai.lanewise(VectorOperators.ASHR, 16));
                        }
                        long sc = group;
                        sumE = ((IntVector) I.vectorType().cast(sumE))
                                .add(((IntVector) I.vectorType().cast(gE))
                                        .mul((IntVector) ByteVector.fromMemorySegment(B, p, sc, LE)
                                                .convertShape(VectorOperators.B2I, I, 0)));
                        sumO = ((IntVector) I.vectorType().cast(sumO))
                                .add(((IntVector) I.vectorType().cast(gO))
                                        .mul((IntVector) ByteVector.fromMemorySegment(B, p, sc + L, LE)
                                                .convertShape(VectorOperators.B2I, I, 0)));
                    }
                    FloatVector dxv = FloatVector.broadcast(F, d[db + b]);
                    FloatVector dE = FloatVector.fromMemorySegment(F, p, at + D6, LE),
                            dO = FloatVector.fromMemorySegment(F, p, at + D6 + 4L * L, LE);
                    accE = ((FloatVector) ((IntVector) I.vectorType().cast(sumE)).convert(VectorOperators.I2F, 0))
                            .fma(dE.mul(dxv), (FloatVector) F.vectorType().cast(accE));
                    accO = ((FloatVector) ((IntVector) I.vectorType().cast(sumO)).convert(VectorOperators.I2F, 0))
                            .fma(dO.mul(dxv), (FloatVector) F.vectorType().cast(accO));
                }
                ((FloatVector) F.vectorType().cast(accE)).intoArray(lanes, 0);
                ((FloatVector) F.vectorType().cast(accO)).intoArray(lanes, L);
                scatter(lanes, tile, r0, r1, out, t * outStride + outCol);
            }
        }
    }

    /** Row {@code i} of a tile at {@code tile[o]}: its Q5_0 block at {@code src[s]}. */
    private static void packQ5_0(byte[] src, int s, int i, byte[] tile, int o) {
        int lane = i % 2 * L + i / 2;
        tile[o + D5 + 2 * lane] = src[s];
        tile[o + D5 + 2 * lane + 1] = src[s + 1];
        for (int m = 0; m < 4; m++) tile[o + m * ROWS + i] = (byte) ~src[s + 2 + m]; // the fifth bits, complemented
        for (int l = 0; l < 16; l++) tile[o + Q5_NIBBLES + l * ROWS + i] = src[s + 6 + l];
    }

    /**
     * Q5_0: per 32-block, weight {@code l} (low nibble of byte {@code l}) and {@code l + 16} (high nibble) with their
     * fifth bits, {@code w = nibble − 16 · (1 − bit)} (the bit stored complemented: one shift, mask and subtraction);
     * 16 positions per 16-bit sum ({@code ≤ 16 · 16 · 127}), and each block's int sum converted and scaled by
     * {@code d(rows) · d_x}, as llama.cpp's per-block float accumulation.
     */
    private static void multiplyQ5_0(
            Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment p = w.packed();
        int cols = w.cols(), blocks = cols / 32;
        short[] q = a.qs();
        float[] d = a.d(), lanes = new float[ROWS];
        for (int tile = r0 / ROWS; tile * ROWS < r1; tile++) {
            long base = (long) tile * blocks * Q5_BYTES;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector accE = FloatVector.zero(F), accO = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = base + (long) b * Q5_BYTES;
                    int xb = x + 32 * b;
                    ShortVector lo = ShortVector.zero(S), hi = ShortVector.zero(S);
                    for (int m = 0; m < 2; m++) { // bits of positions 8m.. (run m) and 16 + 8m.. (run 2 + m)
                        ShortVector c0 = ((ShortVector) ByteVector.fromMemorySegment(BS, p, at + (long) m * ROWS, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0))
                                .lanewise(VectorOperators.LSHL, 4);
                        ShortVector c2 = ((ShortVector)
                                        ByteVector.fromMemorySegment(BS, p, at + (long) (2 + m) * ROWS, LE)
                                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0))
                                .lanewise(VectorOperators.LSHL, 4);
                        for (int j = 0; j < 8; j++) {
                            int l = 8 * m + j;
                            ShortVector v = (ShortVector)
                                    ByteVector.fromMemorySegment(BS, p, at + Q5_NIBBLES + (long) l * ROWS, LE)
                                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                            lo = v.and((short) 0xF)
                                    .sub(c0.lanewise(VectorOperators.LSHR, j).and((short) 0x10))
                                    .mul(q[xb + l])
                                    .add((ShortVector) S.vectorType().cast(lo));
                            hi = v.lanewise(VectorOperators.LSHR, 4)
                                    .sub(c2.lanewise(VectorOperators.LSHR, j).and((short) 0x10))
                                    .mul(q[xb + 16 + l])
                                    .add((ShortVector) S.vectorType().cast(hi));
                        }
                    }
                    IntVector li = ((ShortVector) S.vectorType().cast(lo)).reinterpretAsInts(),
                            hv = ((ShortVector) S.vectorType().cast(hi)).reinterpretAsInts();
                    IntVector sE = li.lanewise(VectorOperators.LSHL, 16)
                            .lanewise(VectorOperators.ASHR, 16)
                            .add(hv.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    IntVector sO = li.lanewise(VectorOperators.ASHR, 16).add(hv.lanewise(VectorOperators.ASHR, 16));
                    FloatVector dxv = FloatVector.broadcast(F, d[db + b]);
                    FloatVector dE = Half.f16ToF32(ShortVector.fromMemorySegment(Half.S, p, at + D5, LE)),
                            dO = Half.f16ToF32(ShortVector.fromMemorySegment(Half.S, p, at + D5 + 2L * L, LE));
                    accE = ((FloatVector) sE.convert(VectorOperators.I2F, 0))
                            .fma(dE.mul(dxv), (FloatVector) F.vectorType().cast(accE));
                    accO = ((FloatVector) sO.convert(VectorOperators.I2F, 0))
                            .fma(dO.mul(dxv), (FloatVector) F.vectorType().cast(accO));
                }
                ((FloatVector) F.vectorType().cast(accE)).intoArray(lanes, 0);
                ((FloatVector) F.vectorType().cast(accO)).intoArray(lanes, L);
                scatter(lanes, tile, r0, r1, out, t * outStride + outCol);
            }
        }
    }

    /** Row {@code i} of a tile at {@code tile[o]}: its Q8_0 block at {@code src[s]} (f16 d, then 32 int8 weights). */
    private static void packQ8_0(byte[] src, int s, int i, byte[] tile, int o) {
        int lane = i % 2 * L + i / 2;
        tile[o + D8 + 2 * lane] = src[s];
        tile[o + D8 + 2 * lane + 1] = src[s + 1];
        for (int k = 0; k < 32; k++) tile[o + k * ROWS + i] = src[s + 2 + k];
    }

    /**
     * Q8_0: two positions per 16-bit sum ({@code |w·x| ≤ 128 · 127}, two fit), widened to the block's E/O int sums,
     * whose value is llama.cpp's; each block's sum converted and scaled by {@code d(rows) · d_x}, as
     * {@link QuantKernels#rowsQ8_0}.
     */
    private static void multiplyQ8_0(
            Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment p = w.packed();
        int cols = w.cols(), blocks = cols / 32;
        short[] q = a.qs();
        float[] d = a.d(), lanes = new float[ROWS];
        for (int tile = r0 / ROWS; tile * ROWS < r1; tile++) {
            long base = (long) tile * blocks * Q8_BYTES;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector accE = FloatVector.zero(F), accO = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = base + (long) b * Q8_BYTES;
                    int xb = x + 32 * b;
                    IntVector sumE = IntVector.zero(I), sumO = IntVector.zero(I);
                    for (int k = 0; k < 32; k += 2) {
                        ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(BS, p, at + (long) k * ROWS, LE)
                                .convertShape(VectorOperators.B2S, S, 0);
                        ShortVector v1 =
                                (ShortVector) ByteVector.fromMemorySegment(BS, p, at + (long) (k + 1) * ROWS, LE)
                                        .convertShape(VectorOperators.B2S, S, 0);
                        IntVector s =
                                v0.mul(q[xb + k]).add(v1.mul(q[xb + k + 1])).reinterpretAsInts();
                        sumE = ((IntVector) I.vectorType().cast(sumE))
                                .add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                        sumO = ((IntVector) I.vectorType().cast(sumO)).add(s.lanewise(VectorOperators.ASHR, 16));
                    }
                    FloatVector dxv = FloatVector.broadcast(F, d[db + b]);
                    FloatVector dE = Half.f16ToF32(ShortVector.fromMemorySegment(Half.S, p, at + D8, LE)),
                            dO = Half.f16ToF32(ShortVector.fromMemorySegment(Half.S, p, at + D8 + 2L * L, LE));
                    accE = ((FloatVector) ((IntVector) I.vectorType().cast(sumE)).convert(VectorOperators.I2F, 0))
                            .fma(dE.mul(dxv), (FloatVector) F.vectorType().cast(accE));
                    accO = ((FloatVector) ((IntVector) I.vectorType().cast(sumO)).convert(VectorOperators.I2F, 0))
                            .fma(dO.mul(dxv), (FloatVector) F.vectorType().cast(accO));
                }
                ((FloatVector) F.vectorType().cast(accE)).intoArray(lanes, 0);
                ((FloatVector) F.vectorType().cast(accO)).intoArray(lanes, L);
                scatter(lanes, tile, r0, r1, out, t * outStride + outCol);
            }
        }
    }

    /** A tile's outputs, E/O order in {@code lanes}, to {@code out[o + r]} for its rows within {@code [r0, r1)}. */
    private static void scatter(float[] lanes, int tile, int r0, int r1, float[] out, int o) {
        int first = Math.max(r0, tile * ROWS), last = Math.min(r1, tile * ROWS + ROWS);
        for (int r = first; r < last; r++) {
            int i = r - tile * ROWS;
            out[o + r] = lanes[i % 2 * L + i / 2];
        }
    }
}
