package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;
import static dev.veil.engine.kernel.Half.I;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import dev.veil.model.DType;
import dev.veil.model.Quant;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of ggml block-quantized weight rows (Q8_0, Q5_0, Q4_K, Q6_K) with activations quantized to 8 bits
 * ({@link Q8Input}), read in place from the (mapped) weights, plus the dequantization of 32-element groups that the
 * blocked kernels and the embedding lookup use.
 *
 * <p>Q8_0, Q4_K and Q6_K multiply in integers (16-bit lanes, pair sums in int lanes, see the products section);
 * Q5_0 (a fallback type) widens each block's integers to float lanes, where products of integers and their per-block
 * sums are exact too. Either way a block contributes exactly llama.cpp's integer dot product times its scales. The
 * block's vector is scaled into one accumulator per row, whose lanes are added once at the end (no horizontal sum per
 * block). One loop per type, no type switch inside (see {@link Matrix}). Needs vectors of at least 8 floats (AVX2);
 * narrower CPUs take {@link #dotDequantized}.
 */
final class QuantKernels {
    private QuantKernels() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    /** True when the vector kernels apply: byte vectors of {@link #L} lanes exist from 8 lanes (64 bits) on. */
    static final boolean VECTOR = L == 8 || L == 16;
    /** Bytes with as many lanes as {@link #F} (also {@link PackedTiles}' species, as below). */
    static final VectorSpecies<Byte> B = VECTOR ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** Shorts in as many bits as {@link #F}: {@code 2L} lanes, the width the integer kernels multiply in. */
    static final VectorSpecies<Short> S = VECTOR ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 32)) : null;
    /** Bytes with as many lanes as {@link #S}: the weights they widen. */
    static final VectorSpecies<Byte> BS = VECTOR ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 16)) : null;
    /** The upper half of an int vector of {@link #I}: the pair sums of a 32-short vector's second 16 elements. */
    private static final VectorMask<Integer> UPPER =
            IntVector.zero(I).addIndex(1).compare(VectorOperators.GE, L / 2);
    /** Eight int/float lanes: a Q4_K super-block's eight sub-block mins, one per lane. */
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    /** Lanes 4..7 of {@link #I8}: the mins taken from the second of the two ints that hold them. */
    private static final VectorMask<Integer> HIGH4 =
            IntVector.zero(I8).addIndex(1).compare(VectorOperators.GE, 4);
    /** Each lane's byte of its int: lane j shifts by 8·(j mod 4). */
    private static final IntVector BYTE_SHIFTS = IntVector.fromArray(I8, new int[] {0, 8, 16, 24, 0, 8, 16, 24}, 0);
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
    //
    // Q8_0, Q4_K and Q6_K multiply in integers, as llama.cpp does: weights and activations widened to 16-bit lanes,
    // multiplied there (|w·a| ≤ 128·127, and a sum of two such products, fits in 16 bits), and each int lane of the
    // product vector viewed as a pair of shorts summed to one int, (p + (p << 16)) >> 16: the high short plus the low
    // one, exact because the sum fits in 16 bits. One widening per 2L weights instead of a float conversion per L,
    // and integer sums exact like llama.cpp's; a block's int vector is converted to float once and scaled into the
    // row's float accumulator (lanes added first to last at the end: the only float roundings are the block scales,
    // these fused multiply-adds and the final sum).

    static void rowsQ8_0(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / 32;
        short[] q = a.qs();
        float[] d = a.d(), lanes = new float[L];
        for (int r = r0; r < r1; r++) {
            long row = (long) r * blocks * 34;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector acc = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = row + b * 34L;
                    IntVector blk = null; // the block's 32 products summed in pairs (and over 2L-wide slices)
                    for (int j = 0; j < 32; j += 2 * L) {
                        IntVector p = ((ShortVector) ByteVector.fromMemorySegment(BS, s, at + 2 + j, LE)
                                        .convertShape(VectorOperators.B2S, S, 0))
                                .mul(ShortVector.fromArray(S, q, x + 32 * b + j))
                                .reinterpretAsInts();
                        p = p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                        blk = j == 0 ? p : blk.add(p);
                    }
                    acc = ((FloatVector) blk.convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(I16, at)) * d[db + b]), acc);
                }
                acc.intoArray(lanes, 0);
                float sum = 0;
                for (float v : lanes) sum += v;
                out[t * outStride + outCol + r] = sum;
            }
        }
    }

    /**
     * Q4_K: per super-block, the 4-bit weights times the activations in 16-bit lanes, pair sums times the sub-blocks'
     * 6-bit scales summed in one int vector (≤ 8 · 2 · 15 · 127 · 63 per lane), converted once; the mins are
     * {@code Σ min_j · sum_j} with the activations' sums per 32 (exact in float: below 2²⁴), in 8 lanes.
     */
    static void rowsQ4_K(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / Quant.QK_K;
        short[] q = a.qs();
        float[] d = a.d(), sums = a.sums(), lanes = new float[L];
        for (int r = r0; r < r1; r++) {
            long row = (long) r * blocks * 144;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks, sb = t * cols / 32;
                FloatVector acc = FloatVector.zero(F), mins = FloatVector.zero(F8);
                for (int b = 0; b < blocks; b++) {
                    long at = row + b * 144L;
                    int xb = x + Quant.QK_K * b;
                    // get_scale_min_k4 for all eight sub-blocks at once, branch-free (llama.cpp's kmask trick): the
                    // 6-bit scales as the bytes of sc, the mins as the bytes of mn0, mn1. Decoded per sub-block with
                    // branches, this was most of the kernel's time (C2 kept the loop rolled and spilled; measured).
                    int s0 = s.get(I32, at + 4), s1 = s.get(I32, at + 8), s2 = s.get(I32, at + 12);
                    long sc = (s0 & 0x3f3f3f3fL) | (long) ((s2 & 0x0f0f0f0f) | ((s0 >>> 2) & 0x30303030)) << 32;
                    int mn0 = s1 & 0x3f3f3f3f, mn1 = ((s2 >>> 4) & 0x0f0f0f0f) | ((s1 >>> 2) & 0x30303030);
                    IntVector sum = IntVector.zero(I);
                    for (int c = 0; c < 4; c++) { // 32 bytes: sub-block 2c in the low nibbles, 2c + 1 in the high
                        int sc0 = (int) (sc >>> 16 * c) & 0xFF, sc1 = (int) (sc >>> 16 * c + 8) & 0xFF;
                        for (int l = 0; l < 32; l += 2 * L) {
                            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(BS, s, at + 16 + 32 * c + l, LE)
                                    .convertShape(VectorOperators.B2S, S, 0);
                            IntVector lo = v.and((short) 0xF)
                                    .mul(ShortVector.fromArray(S, q, xb + 64 * c + l))
                                    .reinterpretAsInts();
                            IntVector hi = v.lanewise(VectorOperators.ASHR, 4)
                                    .and((short) 0xF)
                                    .mul(ShortVector.fromArray(S, q, xb + 64 * c + 32 + l))
                                    .reinterpretAsInts();
                            lo = lo.add(lo.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                            hi = hi.add(hi.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                            sum = ((IntVector) I.vectorType().cast(sum))
                                    .add(lo.mul(sc0))
                                    .add(hi.mul(sc1));
                        }
                    }
                    float dx = d[db + b];
                    acc = ((FloatVector) ((IntVector) I.vectorType().cast(sum)).convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(I16, at)) * dx), (FloatVector)
                                    F.vectorType().cast(acc));
                    // the mins times the activations' sums per 32, one sub-block per lane (exact: < 2^24), summed
                    // across super-blocks per lane as llama.cpp's acc_m does; a scalar loop of 8 here was ~10% of
                    // the kernel (quantization.md)
                    FloatVector m = (FloatVector) IntVector.broadcast(I8, mn0)
                            .blend(mn1, HIGH4)
                            .lanewise(VectorOperators.LSHR, BYTE_SHIFTS)
                            .and(0xFF)
                            .convert(VectorOperators.I2F, 0);
                    mins = m.mul(FloatVector.fromArray(F8, sums, sb + 8 * b))
                            .fma(FloatVector.broadcast(F8, Float.float16ToFloat(s.get(I16, at + 2)) * dx), (FloatVector)
                                    F8.vectorType().cast(mins));
                }
                ((FloatVector) F.vectorType().cast(acc)).intoArray(lanes, 0);
                float sum = 0;
                for (float v : lanes) sum += v;
                float minSum = 0; // first lane to last, not reduceLanes (its order changes once compiled)
                mins = (FloatVector) F8.vectorType().cast(mins);
                for (int i = 0; i < mins.length(); i++) minSum += mins.lane(i);
                out[t * outStride + outCol + r] = sum - minSum;
            }
        }
    }

    /**
     * Q6_K: the 6-bit weights (−32..31) times the activations in 16-bit lanes, pair sums times the 8-bit scales of
     * their 16-element groups (a 2L-short slice spans two groups when L is 16: the int lanes' scales are blended),
     * summed in one int vector per super-block (≤ 8 · 2 · 32 · 127 · 128 per lane), converted once.
     */
    static void rowsQ6_K(Matrix w, int r0, int r1, Q8Input a, int t0, int t1, float[] out, int outStride, int outCol) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / Quant.QK_K;
        short[] q = a.qs();
        float[] d = a.d(), lanes = new float[L];
        for (int r = r0; r < r1; r++) {
            long row = (long) r * blocks * 210;
            for (int t = t0; t < t1; t++) {
                int x = t * cols, db = t * blocks;
                FloatVector acc = FloatVector.zero(F);
                for (int b = 0; b < blocks; b++) {
                    long at = row + b * 210L;
                    IntVector sum = IntVector.zero(I);
                    // the two 128-element halves and their 2L-wide slices in one loop
                    for (int k = 0; k < 64; k += 2 * L) {
                        int h = k / 32, l = k % 32;
                        long ql = at + 64 * h, qh = at + 128 + 32 * h;
                        // the half's 8 scale bytes in one read (one bounds check), from this slice's first group on
                        long sc = s.get(I64, at + 192 + 8 * h) >> 8 * (l / 16);
                        int xh = x + Quant.QK_K * b + 128 * h + l;
                        ShortVector v1 = (ShortVector)
                                ByteVector.fromMemorySegment(BS, s, ql + l, LE).convertShape(VectorOperators.B2S, S, 0);
                        ShortVector v2 = (ShortVector) ByteVector.fromMemorySegment(BS, s, ql + 32 + l, LE)
                                .convertShape(VectorOperators.B2S, S, 0);
                        ShortVector hb = (ShortVector)
                                ByteVector.fromMemorySegment(BS, s, qh + l, LE).convertShape(VectorOperators.B2S, S, 0);
                        IntVector p1 = v1.and((short) 0xF)
                                .or(hb.and((short) 3).lanewise(VectorOperators.LSHL, 4))
                                .sub((short) 32)
                                .mul(ShortVector.fromArray(S, q, xh))
                                .reinterpretAsInts();
                        IntVector p2 = v2.and((short) 0xF)
                                .or(hb.lanewise(VectorOperators.ASHR, 2)
                                        .and((short) 3)
                                        .lanewise(VectorOperators.LSHL, 4))
                                .sub((short) 32)
                                .mul(ShortVector.fromArray(S, q, xh + 32))
                                .reinterpretAsInts();
                        IntVector p3 = v1.lanewise(VectorOperators.ASHR, 4)
                                .and((short) 0xF)
                                .or(hb.lanewise(VectorOperators.ASHR, 4)
                                        .and((short) 3)
                                        .lanewise(VectorOperators.LSHL, 4))
                                .sub((short) 32)
                                .mul(ShortVector.fromArray(S, q, xh + 64))
                                .reinterpretAsInts();
                        IntVector p4 = v2.lanewise(VectorOperators.ASHR, 4)
                                .and((short) 0xF)
                                .or(hb.lanewise(VectorOperators.ASHR, 6)
                                        .and((short) 3)
                                        .lanewise(VectorOperators.LSHL, 4))
                                .sub((short) 32)
                                .mul(ShortVector.fromArray(S, q, xh + 96))
                                .reinterpretAsInts();
                        p1 = p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                        p2 = p2.add(p2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                        p3 = p3.add(p3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                        p4 = p4.add(p4.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                        IntVector c1 = IntVector.broadcast(I, (byte) sc),
                                c2 = IntVector.broadcast(I, (byte) (sc >> 16)),
                                c3 = IntVector.broadcast(I, (byte) (sc >> 32)),
                                c4 = IntVector.broadcast(I, (byte) (sc >> 48));
                        if (L == 16) { // the slice's second 16 elements: the next group's scale
                            c1 = c1.blend((byte) (sc >> 8), UPPER);
                            c2 = c2.blend((byte) (sc >> 24), UPPER);
                            c3 = c3.blend((byte) (sc >> 40), UPPER);
                            c4 = c4.blend((byte) (sc >> 56), UPPER);
                        }
                        sum = ((IntVector) I.vectorType().cast(sum))
                                .add(p1.mul(c1))
                                .add(p2.mul(c2))
                                .add(p3.mul(c3))
                                .add(p4.mul(c4));
                    }
                    acc = ((FloatVector) ((IntVector) I.vectorType().cast(sum)).convert(VectorOperators.I2F, 0))
                            .fma(
                                    FloatVector.broadcast(F, Float.float16ToFloat(s.get(I16, at + 208)) * d[db + b]),
                                    (FloatVector) F.vectorType().cast(acc));
                }
                ((FloatVector) F.vectorType().cast(acc)).intoArray(lanes, 0);
                float sum = 0;
                for (float v : lanes) sum += v;
                out[t * outStride + outCol + r] = sum;
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
    // A row's byte offset is computed once per call, not per group: per 32-group, DType.byteSize's long division
    // was 12–15% of a 16-token quantized prefill's CPU time (JFR, 2816×1024 Q8_0 and Q4_K; quantization.md).

    /**
     * Elements {@code [k0, k0 + kc)} of row {@code r} ({@code k0} and {@code kc} multiples of 32) into
     * {@code dst[o ..]}.
     */
    static void dequantize(Matrix w, int r, int k0, int kc, float[] dst, int o) {
        MemorySegment s = w.data();
        DType type = w.dtype();
        long row = (long) r * (w.cols() / type.blockSize) * type.bytes;
        if (!VECTOR) {
            int block = type.blockSize;
            float[] tmp = new float[block];
            for (int k = k0; k < k0 + kc; k += 32) {
                Quant.dequantize(type, s, row + (long) (k / block) * type.bytes, tmp, 0, block);
                System.arraycopy(tmp, k % block, dst, o + k - k0, 32);
            }
            return;
        }
        switch (type) {
            case Q8_0 -> dequantizeQ8_0(s, row, k0, kc, dst, o);
            case Q5_0 -> dequantizeQ5_0(s, row, k0, kc, dst, o);
            case Q4_K -> dequantizeQ4_K(s, row, k0, kc, dst, o);
            case Q6_K -> dequantizeQ6_K(s, row, k0, kc, dst, o);
            default -> throw new AssertionError(type);
        }
    }

    /** A block's 32 weights in {@code 32 / 2L} loads, each widened in two halves. */
    private static void dequantizeQ8_0(MemorySegment s, long row, int k0, int kc, float[] dst, int o) {
        for (int k = k0; k < k0 + kc; k += 32, o += 32) {
            long at = row + (k / 32) * 34L;
            float d = f16(s, at);
            for (int j = 0; j < 32; j += 2 * L) {
                ByteVector q = ByteVector.fromMemorySegment(BS, s, at + 2 + j, LE);
                ((FloatVector) q.convertShape(B2F, F, 0)).mul(d).intoArray(dst, o + j);
                ((FloatVector) q.convertShape(B2F, F, 1)).mul(d).intoArray(dst, o + j + L);
            }
        }
    }

    private static void dequantizeQ5_0(MemorySegment s, long row, int k0, int kc, float[] dst, int o) {
        for (int k = k0; k < k0 + kc; k += 32, o += 32) {
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
    }

    // Q4_K and Q6_K decode whole units: a pair of Q4_K sub-blocks (the low and the high nibbles of the same 32 bytes)
    // and a 128-element half of a Q6_K super-block (four groups sharing their bytes), each byte loaded once and
    // unpacked in byte lanes before widening to float; a byte shift is written as a 16-bit one and a mask (x86 has
    // none, C2 widens for it). A range that cuts a unit decodes it whole into a small array and copies its part.
    // Q6_K came out about twice as fast per weight, Q4_K and Q8_0 gained less (2816×1024; quantization.md).

    /** Each super-block's eight 6-bit scales and mins decoded once (the kmask trick of {@link #rowsQ4_K}). */
    private static void dequantizeQ4_K(MemorySegment s, long row, int k0, int kc, float[] dst, int o) {
        float[] unit = null;
        for (int k = k0, end = k0 + kc; k < end; ) {
            long at = row + (k / Quant.QK_K) * 144L;
            float d = f16(s, at), dmin = f16(s, at + 2);
            int s0 = s.get(I32, at + 4), s1 = s.get(I32, at + 8), s2 = s.get(I32, at + 12);
            long sc = (s0 & 0x3f3f3f3fL) | (long) ((s2 & 0x0f0f0f0f) | ((s0 >>> 2) & 0x30303030)) << 32;
            long mn = (s1 & 0x3f3f3f3fL) | (long) (((s2 >>> 4) & 0x0f0f0f0f) | ((s1 >>> 2) & 0x30303030)) << 32;
            for (int pair = (k % Quant.QK_K) / 64; pair < 4 && k < end; pair++) {
                int from = k % 64, n = Math.min(64 - from, end - k);
                float scLo = d * ((sc >>> 16 * pair) & 0xFF), mnLo = dmin * ((mn >>> 16 * pair) & 0xFF);
                float scHi = d * ((sc >>> 16 * pair + 8) & 0xFF), mnHi = dmin * ((mn >>> 16 * pair + 8) & 0xFF);
                long qs = at + 16 + 32 * pair;
                if (n == 64) q4Pair(s, qs, scLo, mnLo, scHi, mnHi, dst, o);
                else {
                    if (unit == null) unit = new float[64];
                    q4Pair(s, qs, scLo, mnLo, scHi, mnHi, unit, 0);
                    System.arraycopy(unit, from, dst, o, n);
                }
                k += n;
                o += n;
            }
        }
    }

    /** 64 weights from the 32 bytes at {@code qs}: low nibbles × scLo − mnLo, then high nibbles × scHi − mnHi. */
    private static void q4Pair(
            MemorySegment s, long qs, float scLo, float mnLo, float scHi, float mnHi, float[] dst, int o) {
        for (int l = 0; l < 32; l += L) {
            ByteVector v = ByteVector.fromMemorySegment(B, s, qs + l, LE);
            ByteVector hi = v.reinterpretAsShorts().lanewise(LSHR, 4).reinterpretAsBytes();
            ((FloatVector) v.and((byte) 0xF).convertShape(B2F, F, 0))
                    .mul(scLo)
                    .sub(mnLo)
                    .intoArray(dst, o + l);
            ((FloatVector) hi.and((byte) 0xF).convertShape(B2F, F, 0))
                    .mul(scHi)
                    .sub(mnHi)
                    .intoArray(dst, o + 32 + l);
        }
    }

    private static void dequantizeQ6_K(MemorySegment s, long row, int k0, int kc, float[] dst, int o) {
        float[] unit = null;
        for (int k = k0, end = k0 + kc; k < end; ) {
            long at = row + (k / Quant.QK_K) * 210L;
            int within = k % Quant.QK_K, from = within % 128, n = Math.min(128 - from, end - k);
            if (n == 128) q6Half(s, at, within / 128, dst, o);
            else {
                if (unit == null) unit = new float[128];
                q6Half(s, at, within / 128, unit, 0);
                System.arraycopy(unit, from, dst, o, n);
            }
            k += n;
            o += n;
        }
    }

    /**
     * Half {@code h} of the Q6_K super-block at {@code at}: group g (32 weights) is the low (g < 2) or high nibbles of
     * {@code ql[32·(g mod 2) ..]} with bits 2g and 2g+1 of {@code qh[0..32)} on top, minus 32, times its scale.
     */
    private static void q6Half(MemorySegment s, long at, int h, float[] dst, int o) {
        long ql = at + 64 * h, qh = at + 128 + 32 * h, sc = at + 192 + 8 * h;
        float d = f16(s, at + 208);
        for (int l = 0; l < 32; l += L) {
            ByteVector a = ByteVector.fromMemorySegment(B, s, ql + l, LE);
            ByteVector b = ByteVector.fromMemorySegment(B, s, ql + 32 + l, LE);
            ShortVector hb = ByteVector.fromMemorySegment(B, s, qh + l, LE).reinterpretAsShorts();
            ByteVector g0 = a.and((byte) 0xF)
                    .or(hb.lanewise(LSHL, 4).reinterpretAsBytes().and((byte) 0x30));
            ByteVector g1 = b.and((byte) 0xF)
                    .or(hb.lanewise(LSHL, 2).reinterpretAsBytes().and((byte) 0x30));
            ByteVector g2 = a.reinterpretAsShorts()
                    .lanewise(LSHR, 4)
                    .reinterpretAsBytes()
                    .and((byte) 0xF)
                    .or(hb.reinterpretAsBytes().and((byte) 0x30));
            ByteVector g3 = b.reinterpretAsShorts()
                    .lanewise(LSHR, 4)
                    .reinterpretAsBytes()
                    .and((byte) 0xF)
                    .or(hb.lanewise(LSHR, 2).reinterpretAsBytes().and((byte) 0x30));
            int sg = l / 16;
            float d0 = d * s.get(ValueLayout.JAVA_BYTE, sc + sg), d1 = d * s.get(ValueLayout.JAVA_BYTE, sc + sg + 2);
            float d2 = d * s.get(ValueLayout.JAVA_BYTE, sc + sg + 4),
                    d3 = d * s.get(ValueLayout.JAVA_BYTE, sc + sg + 6);
            ((FloatVector) g0.sub((byte) 32).convertShape(B2F, F, 0)).mul(d0).intoArray(dst, o + l);
            ((FloatVector) g1.sub((byte) 32).convertShape(B2F, F, 0)).mul(d1).intoArray(dst, o + 32 + l);
            ((FloatVector) g2.sub((byte) 32).convertShape(B2F, F, 0)).mul(d2).intoArray(dst, o + 64 + l);
            ((FloatVector) g3.sub((byte) 32).convertShape(B2F, F, 0)).mul(d3).intoArray(dst, o + 96 + l);
        }
    }
}
