package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;
import static dev.veil.engine.kernel.Half.S;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A weight matrix {@code [rows, cols]} (PyTorch {@code [out, in]}) of F32, F16 or BF16 elements, or of ggml blocks
 * (Q8_0, Q5_0, Q4_K, Q6_K: {@link QuantKernels}), read in place from its tensor's memory segment (usually a
 * memory-mapped file): nothing is converted when a model loads, and only quantized matrices are copied, by the local
 * backend before its first decode product ({@link #inHugePages}).
 *
 * <p>The per-type loops below are deliberately separate: a type switch inside the loop would defeat the Vector API's
 * escape analysis (measured: 5× slower). Each streams one row; rows are independent tasks for the threads.
 *
 * @param packed quantized matrices only, once the local backend copied them ({@link #inHugePages}): the rows repacked
 *     into row-interleaved tiles for the decode products ({@link PackedTiles}); {@code data} stays the
 *     ggml layout (the file mapping) for dequantization, embedding lookups and the other paths. Otherwise null.
 */
public record Matrix(String name, MemorySegment data, DType dtype, int rows, int cols, MemorySegment packed) {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    public Matrix {
        if (!dtype.isWeight())
            throw new IllegalArgumentException("tensor " + name + " has dtype " + dtype
                    + "; the engine multiplies F32, F16, BF16, Q8_0, Q5_0, Q4_K and Q6_K weights");
        if (cols % dtype.blockSize != 0)
            throw new IllegalArgumentException(
                    "tensor " + name + ": rows of " + cols + " are not whole " + dtype + " blocks");
        if (data.byteSize() != dtype.byteSize((long) rows * cols))
            throw new IllegalArgumentException(
                    "tensor " + name + ": " + data.byteSize() + " bytes for [" + rows + ", " + cols + "] " + dtype);
        if (packed != null && !dtype.isQuantized())
            throw new IllegalArgumentException(
                    "tensor " + name + " is " + dtype + "; only quantized rows are repacked");
    }

    public Matrix(String name, MemorySegment data, DType dtype, int rows, int cols) {
        this(name, data, dtype, rows, cols, null);
    }

    /** The matrix view of a 2-D tensor. */
    public static Matrix of(Tensor t) {
        if (t.rank() != 2)
            throw new IllegalArgumentException("tensor " + t.name() + " has shape " + Arrays.toString(t.shape())
                    + "; a weight matrix must be 2-D");
        return new Matrix(t.name(), t.data(), t.dtype(), t.rows(), t.cols());
    }

    /**
     * This matrix with its data copied out of the (file-mapped) segment into memory advised to use transparent huge
     * pages ({@link HugePages}): a decode step streams every weight once, and reads a copy faster than the mapping.
     * Quantized matrices are not copied but repacked into that memory ({@link PackedTiles}, which decode reads); their
     * {@code data} stays the mapping, of which only the pages other paths touch become resident. The repacking splits
     * among {@code parallel}'s threads.
     */
    public Matrix inHugePages(Parallel parallel) {
        if (dtype.isQuantized() && PackedTiles.AVAILABLE)
            return new Matrix(name, data, dtype, rows, cols, PackedTiles.pack(this, parallel));
        return new Matrix(name, HugePages.copy(data), dtype, rows, cols);
    }

    /** {@link #inHugePages(Parallel)} on this thread. */
    public Matrix inHugePages() {
        return inHugePages(null);
    }

    /** {@code Σ_k row[r][k] · x[xOffset + k]}. */
    public float dotRow(int r, float[] x, int xOffset) {
        return switch (dtype) {
            case F32 -> dotRowF32(r, x, xOffset);
            case F16 -> dotRowF16(r, x, xOffset);
            case BF16 -> dotRowBF16(r, x, xOffset);
            default ->
                throw new IllegalStateException("tensor " + name + " is " + dtype
                        + ": multiply it with quantized activations (dotRow(int, Q8Input, int))");
        };
    }

    /** {@code Σ_k row[r][k] · a[t][k]} for a quantized matrix, with {@code a} quantized for this type ({@link Q8Input#of}). */
    public float dotRow(int r, Q8Input a, int t) {
        if (!QuantKernels.VECTOR) return QuantKernels.dotDequantized(this, r, a, t, new float[cols]);
        return QuantKernels.dot(this, r, a, t);
    }

    // One accumulator: in the engine, where rows come from memory, this beat two or four accumulators by ~10%
    // (measured on decode; more accumulators only win when the rows are already in cache).

    /** {@link #dotRow} for an F32 matrix (callers that switch on the type once, outside their loops). */
    public float dotRowF32(int r, float[] x, int xOffset) {
        long first = (long) r * cols;
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int end = F.loopBound(cols); k < end; k += F.length())
            acc = f32(first + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        float sum = VectorMath.sum(acc);
        for (; k < cols; k++) sum += data.getAtIndex(Tensor.F32, first + k) * x[xOffset + k];
        return sum;
    }

    /** {@link #dotRow} for an F16 matrix. */
    public float dotRowF16(int r, float[] x, int xOffset) {
        long first = (long) r * cols;
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int end = F.loopBound(cols); k < end; k += F.length())
            acc = f16(first + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        float sum = VectorMath.sum(acc);
        for (; k < cols; k++) sum += Float.float16ToFloat(data.getAtIndex(Tensor.I16, first + k)) * x[xOffset + k];
        return sum;
    }

    /**
     * {@link #dotRowF16} for an even number of columns, reading {@code pairs} ({@code x} split by {@link #splitPairs})
     * from {@code pairsOffset}, as {@link #dotRowBF16Pairs} does for BF16: each int lane holds two halves, widened
     * with shifts, a mask and a multiplication ({@link Half#f16HighToF32}) instead of a short-to-int widening. Measured
     * (4096×2048 decode, one thread, CPU time, load 5-7): 16-28 GB/s, mostly 21-28, against 18-20 for
     * {@link #dotRowF16}.
     */
    public float dotRowF16Pairs(int r, float[] pairs, int pairsOffset) {
        int half = cols >> 1;
        long rowBytes = (long) r * cols * 2;
        FloatVector evenAcc = FloatVector.zero(F), oddAcc = FloatVector.zero(F);
        int q = 0;
        for (int end = F.loopBound(half); q < end; q += F.length()) {
            IntVector w = IntVector.fromMemorySegment(Half.I, data, rowBytes + q * 4L, LE);
            FloatVector even = Half.f16HighToF32(w.lanewise(VectorOperators.LSHL, 16));
            evenAcc = even.fma(FloatVector.fromArray(F, pairs, pairsOffset + q), evenAcc);
            oddAcc = Half.f16HighToF32(w).fma(FloatVector.fromArray(F, pairs, pairsOffset + half + q), oddAcc);
        }
        // cast as VectorMath.sum does: add's receiver is the loop's accumulator, typed only FloatVector
        float sum = VectorMath.sum(((FloatVector) F.vectorType().cast(evenAcc)).add(oddAcc));
        for (; q < half; q++) {
            int w = data.get(I32, rowBytes + q * 4L);
            sum += Float.float16ToFloat((short) w) * pairs[pairsOffset + q]
                    + Float.float16ToFloat((short) (w >>> 16)) * pairs[pairsOffset + half + q];
        }
        return sum;
    }

    /** {@link #dotRow} for a BF16 matrix. */
    public float dotRowBF16(int r, float[] x, int xOffset) {
        long first = (long) r * cols;
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int end = F.loopBound(cols); k < end; k += F.length())
            acc = bf16(first + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        float sum = VectorMath.sum(acc);
        for (; k < cols; k++) sum += DType.fromBF16(data.getAtIndex(Tensor.I16, first + k)) * x[xOffset + k];
        return sum;
    }

    /**
     * {@code Σ_k row[r][k] · x[k]} for a BF16 matrix with an even number of columns, where {@code pairs} holds
     * {@code x} split by {@link #splitPairs}: even elements first, then odd ones, from {@code pairsOffset}. The kernel
     * is {@link VectorMath#dotBF16Pairs} (engine-core), which the Talaria client's local head runs too.
     */
    public float dotRowBF16Pairs(int r, float[] pairs, int pairsOffset) {
        return VectorMath.dotBF16Pairs(data, (long) r * cols * 2, pairs, pairsOffset, cols >> 1);
    }

    /**
     * {@code n} rows of {@code cols} (even) floats, each rearranged to its even elements followed by its odd ones: the
     * input layout of {@link #dotRowBF16Pairs} and {@link #dotRowF16Pairs}.
     */
    public static float[] splitPairs(float[] x, int n, int cols) {
        return VectorMath.splitPairs(x, n, cols);
    }

    /** One vector of elements from flat index {@code i}, per storage type. */
    private FloatVector f32(long i) {
        return FloatVector.fromMemorySegment(F, data, i * 4, LE);
    }

    private FloatVector f16(long i) {
        return Half.f16ToF32(ShortVector.fromMemorySegment(S, data, i * 2, LE));
    }

    private FloatVector bf16(long i) {
        return Half.bf16ToF32(ShortVector.fromMemorySegment(S, data, i * 2, LE));
    }

    /**
     * Widens the block {@code rows [row, row + count) × columns [k0, k0 + kc)} into {@code dst}, row {@code j} at
     * {@code dst[dstOffset + j × dstStride ..]}.
     */
    public void widenBlock(int row, int count, int k0, int kc, float[] dst, int dstOffset, int dstStride) {
        if (dtype.isQuantized()) {
            // blocks of 32 (every ggml type's sub-blocks), so column blocks need not align with 256-element
            // super-blocks
            if (k0 % 32 != 0 || (kc % 32 != 0 && k0 + kc != cols))
                throw new IllegalArgumentException(
                        "quantized columns [" + k0 + ", " + (k0 + kc) + ") are not whole groups of 32");
            for (int j = 0; j < count; j++)
                QuantKernels.dequantize(this, row + j, k0, kc, dst, dstOffset + j * dstStride);
            return;
        }
        for (int j = 0; j < count; j++) {
            long first = (long) (row + j) * cols + k0;
            int d = dstOffset + j * dstStride;
            switch (dtype) {
                case F32 -> MemorySegment.copy(data, Tensor.F32, first * 4, dst, d, kc);
                case F16 -> {
                    int k = 0;
                    for (int end = F.loopBound(kc); k < end; k += F.length())
                        f16(first + k).intoArray(dst, d + k);
                    for (; k < kc; k++) dst[d + k] = Float.float16ToFloat(data.getAtIndex(Tensor.I16, first + k));
                }
                case BF16 -> {
                    int k = 0;
                    for (int end = F.loopBound(kc); k < end; k += F.length())
                        bf16(first + k).intoArray(dst, d + k);
                    for (; k < kc; k++) dst[d + k] = DType.fromBF16(data.getAtIndex(Tensor.I16, first + k));
                }
                default -> throw new AssertionError(dtype);
            }
        }
    }

    /** Copies rows {@code [row, row + count)} widened to float into {@code dst} from {@code dstOffset}. */
    public void widenRows(int row, int count, float[] dst, int dstOffset) {
        widenBlock(row, count, 0, cols, dst, dstOffset, cols);
    }

    /** Row {@code r} widened to float (a copy). */
    public float[] row(int r) {
        float[] out = new float[cols];
        widenRows(r, 1, out, 0);
        return out;
    }
}
