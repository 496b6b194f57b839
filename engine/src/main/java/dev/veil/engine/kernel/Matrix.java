package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;
import static dev.veil.engine.kernel.Half.S;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

/**
 * A weight matrix {@code [rows, cols]} (PyTorch {@code [out, in]}) of F32, F16 or BF16 elements, read in place from
 * its tensor's memory segment (usually a memory-mapped file): nothing is copied or converted when a model loads.
 *
 * <p>The per-type loops below are deliberately separate: a type switch inside the loop would defeat the Vector API's
 * escape analysis (measured: 5× slower). Each streams one row; rows are independent tasks for the threads.
 */
public record Matrix(String name, MemorySegment data, DType dtype, int rows, int cols) {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    public Matrix {
        if (!dtype.isFloat()) throw new IllegalArgumentException("tensor " + name + " has dtype " + dtype
                + "; the engine multiplies F32, F16 and BF16 weights");
        if (data.byteSize() != (long) rows * cols * dtype.bytes)
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for [" + rows + ", "
                    + cols + "] " + dtype);
    }

    /** The matrix view of a 2-D tensor. */
    public static Matrix of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("tensor " + t.name() + " has shape "
                + Arrays.toString(t.shape()) + "; a weight matrix must be 2-D");
        return new Matrix(t.name(), t.data(), t.dtype(), t.rows(), t.cols());
    }

    /** {@code Σ_k row[r][k] · x[xOffset + k]}. */
    public float dotRow(int r, float[] x, int xOffset) {
        long first = (long) r * cols;
        return switch (dtype) {
            case F32 -> dotF32(first, x, xOffset);
            case F16 -> dotF16(first, x, xOffset);
            case BF16 -> dotBF16(first, x, xOffset);
            default -> throw new AssertionError(dtype);
        };
    }

    // One accumulator: in the engine, where rows come from memory, this beat two or four accumulators by ~10%
    // (measured on decode; more accumulators only win when the rows are already in cache).

    private float dotF32(long first, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int end = F.loopBound(cols); k < end; k += F.length())
            acc = f32(first + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        float sum = VectorMath.sum(acc);
        for (; k < cols; k++) sum += data.getAtIndex(Tensor.F32, first + k) * x[xOffset + k];
        return sum;
    }

    private float dotF16(long first, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int end = F.loopBound(cols); k < end; k += F.length())
            acc = f16(first + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        float sum = VectorMath.sum(acc);
        for (; k < cols; k++) sum += Float.float16ToFloat(data.getAtIndex(Tensor.I16, first + k)) * x[xOffset + k];
        return sum;
    }

    private float dotBF16(long first, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (int end = F.loopBound(cols); k < end; k += F.length())
            acc = bf16(first + k).fma(FloatVector.fromArray(F, x, xOffset + k), acc);
        float sum = VectorMath.sum(acc);
        for (; k < cols; k++) sum += DType.fromBF16(data.getAtIndex(Tensor.I16, first + k)) * x[xOffset + k];
        return sum;
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
        for (int j = 0; j < count; j++) {
            long first = (long) (row + j) * cols + k0;
            int d = dstOffset + j * dstStride;
            switch (dtype) {
                case F32 -> MemorySegment.copy(data, Tensor.F32, first * 4, dst, d, kc);
                case F16 -> {
                    int k = 0;
                    for (int end = F.loopBound(kc); k < end; k += F.length()) f16(first + k).intoArray(dst, d + k);
                    for (; k < kc; k++) dst[d + k] = Float.float16ToFloat(data.getAtIndex(Tensor.I16, first + k));
                }
                case BF16 -> {
                    int k = 0;
                    for (int end = F.loopBound(kc); k < end; k += F.length()) bf16(first + k).intoArray(dst, d + k);
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
