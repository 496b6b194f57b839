package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;
import static dev.veil.engine.kernel.Half.I;

import dev.veil.model.DType;
import dev.veil.model.Quant;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K weights repacked at load into tiles of {@value #ROWS_DOC} rows whose rows are the lanes of the vectors (one
 * row per 16-bit lane), and the decode/short-prompt product on that layout.
 *
 * <p>Why: {@link QuantKernels#rowsQ4_K} reads one row at a time, so its lanes hold positions of one row, and the
 * products must be summed across lanes per sub-block (a three-instruction pair sum into int lanes, then an int
 * multiply by the sub-block's scale, per 32 weights). With rows as lanes, the product is an outer product instead:
 * for each position {@code k}, {@code acc += w[rows, k] · x[k]} with {@code x[k]} broadcast, in 16-bit lanes
 * ({@code |w·x| ≤ 15 · 127}, so 16 positions fit a short); every 16 positions widen to int lanes, and a sub-block's
 * scale is one vector multiply for all {@code ROWS} rows. About 10 vector instructions per 64 weights instead of ~21.
 * The integer sum per row and super-block is exactly llama.cpp's; only the float summation order differs from
 * {@link QuantKernels#rowsQ4_K} (each super-block's int sum is converted once, not per lane). llama.cpp's CPU
 * backend likewise repacks Q4_K into 8-row interleaved blocks at load ({@code ggml_gemv_q4_K_8x8_q8_K}).
 *
 * <p>Layout, per tile of {@code ROWS = 2L} rows ({@code L} float lanes) and super-block, {@link #BYTES} bytes, tile
 * {@code t}'s super-block {@code b} at {@code (t · blocks + b) · BYTES}. Per-row values are stored even rows first,
 * then odd rows ("E/O" order: a 16-bit lane pair read as one int lane splits into the even row's short and the odd
 * row's with two shifts, so the widened sums come out as an even-row and an odd-row int vector):
 * <ul>
 *   <li>{@code D}: the rows' {@code d} as floats, E/O order; {@code DMIN}: their {@code dmin};
 *   <li>{@code SCALES}: per sub-block {@code j}, the rows' 6-bit scales as bytes, E/O order; {@code MINS}: the mins;
 *   <li>{@code QUANTS}: 128 groups of {@code ROWS} bytes, group {@code g}'s byte {@code i} the original byte
 *       {@code 16 + g} of row {@code i}'s block: low nibble position {@code 64·(g/32) + g%32}, high nibble 32 further.
 * </ul>
 * Rows past the matrix's last fill the last tile with zeros (their products are computed and dropped). Per
 * super-block that is {@code 48L + 256L} bytes (4864 for L = 16) against {@code 2L · 144} (4608): 5.6% more.
 */
final class PackedQ4K {
    private PackedQ4K() {}

    private static final int ROWS_DOC = 32;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    /** Rows per tile: the lanes of a short vector as wide as {@link Half#F}. */
    static final int ROWS = 2 * L;

    private static final int D = 0, DMIN = 8 * L, SCALES = 16 * L, MINS = SCALES + 8 * ROWS, QUANTS = MINS + 8 * ROWS;
    /** Bytes per tile and super-block. */
    static final int BYTES = QUANTS + 128 * ROWS;

    /** Whether this kernel runs here: the vector kernels apply ({@link QuantKernels#VECTOR}). */
    static final boolean AVAILABLE = QuantKernels.VECTOR;

    /** {@code L} bytes: one E or O half of a sub-block's scales. */
    private static final VectorSpecies<Byte> B =
            AVAILABLE ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** {@code 2L} shorts: one lane per row of a tile. */
    private static final VectorSpecies<Short> S =
            AVAILABLE ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 32)) : null;
    /** {@code 2L} bytes: one group of a tile's weights. */
    private static final VectorSpecies<Byte> BS =
            AVAILABLE ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 16)) : null;

    /** {@code w} (Q4_K, in ggml's layout) repacked into tiles, in memory advised to use huge pages. */
    static MemorySegment pack(Matrix w) {
        if (w.dtype() != DType.Q4_K) throw new IllegalArgumentException(w.name() + " is " + w.dtype() + ", not Q4_K");
        int rows = w.rows(), blocks = w.cols() / Quant.QK_K, tiles = Math.ceilDiv(rows, ROWS);
        MemorySegment src = w.data(), dst = HugePages.allocate((long) tiles * blocks * BYTES);
        byte[] tile = new byte[BYTES];
        MemorySegment t = MemorySegment.ofArray(tile);
        for (int tl = 0; tl < tiles; tl++)
            for (int b = 0; b < blocks; b++) {
                java.util.Arrays.fill(tile, (byte) 0);
                for (int i = 0; i < ROWS && tl * ROWS + i < rows; i++) {
                    long from = ((long) (tl * ROWS + i) * blocks + b) * 144;
                    int lane = i % 2 * L + i / 2;
                    t.set(F32, D + 4L * lane, Quant.f16(src, from));
                    t.set(F32, DMIN + 4L * lane, Quant.f16(src, from + 2));
                    for (int j = 0; j < 8; j++) {
                        tile[SCALES + j * ROWS + lane] = (byte) Quant.scaleK4(src, from + 4, j);
                        tile[MINS + j * ROWS + lane] = (byte) Quant.minK4(src, from + 4, j);
                    }
                    for (int g = 0; g < 128; g++)
                        tile[QUANTS + g * ROWS + i] = src.get(ValueLayout.JAVA_BYTE, from + 16 + g);
                }
                MemorySegment.copy(t, 0, dst, ((long) tl * blocks + b) * BYTES, BYTES);
            }
        return dst;
    }

    /**
     * Rows {@code [r0, r1)} of {@code w} (packed: {@link Matrix#packed}) times tokens {@code [t0, t1)} of {@code a}
     * into {@code out[t × outStride + outCol + r]}. The token loop is inside the tile loop: a tile's weights (4.75 KiB
     * per super-block) stay in L1/L2 while the tokens pass.
     */
    static void multiply(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment p = w.packed();
        int cols = w.cols(), blocks = cols / Quant.QK_K;
        short[] q = a.qs();
        float[] d = a.d(), sums = a.sums(), lanes = new float[ROWS];
        for (int tile = r0 / ROWS; tile * ROWS < r1; tile++) {
            long base = (long) tile * blocks * BYTES;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks, sb = t * cols / 32;
                FloatVector accE = FloatVector.zero(F), accO = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = base + (long) b * BYTES;
                    int xb = x + Quant.QK_K * b;
                    IntVector sumE = IntVector.zero(I), sumO = IntVector.zero(I);
                    for (int c = 0; c < 4; c++) { // sub-blocks 2c (low nibbles) and 2c + 1 (high nibbles)
                        IntVector loE = IntVector.zero(I), loO = loE, hiE = loE, hiO = loE;
                        for (int h = 0; h < 32; h += 16) { // 16 positions per 16-bit sum: ≤ 16 · 15 · 127
                            ShortVector lo = ShortVector.zero(S), hi = ShortVector.zero(S);
                            for (int l = h; l < h + 16; l++) {
                                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(
                                                BS, p, at + QUANTS + (long) (32 * c + l) * ROWS, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                                lo = v.and((short) 0xF).mul(q[xb + 64 * c + l]).add(lo);
                                hi = v.lanewise(VectorOperators.LSHR, 4)
                                        .mul(q[xb + 64 * c + 32 + l])
                                        .add(hi);
                            }
                            // each int lane: the even row's short low, the odd row's high
                            IntVector li = lo.reinterpretAsInts(), hv = hi.reinterpretAsInts();
                            loE = loE.add(li.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                            loO = loO.add(li.lanewise(VectorOperators.ASHR, 16));
                            hiE = hiE.add(hv.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                            hiO = hiO.add(hv.lanewise(VectorOperators.ASHR, 16));
                        }
                        long s0 = at + SCALES + (long) (2 * c) * ROWS, s1 = s0 + ROWS;
                        sumE = sumE.add(loE.mul((IntVector) ByteVector.fromMemorySegment(B, p, s0, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)))
                                .add(hiE.mul((IntVector) ByteVector.fromMemorySegment(B, p, s1, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)));
                        sumO = sumO.add(loO.mul((IntVector) ByteVector.fromMemorySegment(B, p, s0 + L, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)))
                                .add(hiO.mul((IntVector) ByteVector.fromMemorySegment(B, p, s1 + L, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)));
                    }
                    // the mins: Σ_j m_j · (sum of the activations' sub-block j), exact in int (≤ 8 · 63 · 32 · 127)
                    IntVector minE = IntVector.zero(I), minO = IntVector.zero(I);
                    for (int j = 0; j < 8; j++) {
                        int bs = (int) sums[sb + 8 * b + j];
                        long m = at + MINS + (long) j * ROWS;
                        minE = minE.add(((IntVector) ByteVector.fromMemorySegment(B, p, m, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .mul(bs));
                        minO = minO.add(((IntVector) ByteVector.fromMemorySegment(B, p, m + L, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .mul(bs));
                    }
                    float dx = d[db + b];
                    FloatVector dxv = FloatVector.broadcast(F, dx), ndx = FloatVector.broadcast(F, -dx);
                    FloatVector dE = FloatVector.fromMemorySegment(F, p, at + D, LE),
                            dO = FloatVector.fromMemorySegment(F, p, at + D + 4L * L, LE),
                            mE = FloatVector.fromMemorySegment(F, p, at + DMIN, LE),
                            mO = FloatVector.fromMemorySegment(F, p, at + DMIN + 4L * L, LE);
                    accE = ((FloatVector) sumE.convert(VectorOperators.I2F, 0)).fma(dE.mul(dxv), accE);
                    accO = ((FloatVector) sumO.convert(VectorOperators.I2F, 0)).fma(dO.mul(dxv), accO);
                    accE = ((FloatVector) minE.convert(VectorOperators.I2F, 0)).fma(mE.mul(ndx), accE);
                    accO = ((FloatVector) minO.convert(VectorOperators.I2F, 0)).fma(mO.mul(ndx), accO);
                }
                accE.intoArray(lanes, 0);
                accO.intoArray(lanes, L);
                int first = Math.max(r0, tile * ROWS), last = Math.min(r1, tile * ROWS + ROWS);
                for (int r = first; r < last; r++) {
                    int i = r - tile * ROWS;
                    out[t * outStride + outCol + r] = lanes[i % 2 * L + i / 2];
                }
            }
        }
    }
}
