package dev.veil.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named, typed, row-major tensor over a little-endian {@link MemorySegment}: usually a slice of a
 * memory-mapped file (never copied), or heap memory for tensors Veil computes.
 *
 * <p>Shapes use the PyTorch convention: a linear weight is {@code [out, in]}, rows are output features.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        if (dtype.isQuantized() && (shape.length == 0 || shape[shape.length - 1] % dtype.blockSize != 0))
            throw new IllegalArgumentException("tensor " + name + ": rows of " + Arrays.toString(shape)
                    + " are not whole " + dtype + " blocks of " + dtype.blockSize);
        long expected;
        try {
            expected = dtype.byteSize(count(shape));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " has more bytes than a long holds");
        }
        if (data.byteSize() != expected)
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for shape "
                    + Arrays.toString(shape) + " of " + dtype + " (expected " + expected + ")");
    }

    /** Elements of {@code shape}; ArithmeticException when they overflow a long (never a wrapped size). */
    public static long count(long[] shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    /** A heap F32 tensor holding a copy of {@code values}. */
    public static Tensor ofFloats(String name, float[] values, long... shape) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 64);
        MemorySegment.copy(values, 0, seg, F32, 0, values.length);
        return new Tensor(name, DType.F32, shape, seg);
    }

    /** {@code values} stored as {@code dtype} (rounded for F16/BF16, quantized row by row for the block types). */
    public static Tensor of(String name, DType dtype, float[] values, long... shape) {
        if (dtype == DType.F32) return ofFloats(name, values, shape);
        if (dtype.isQuantized()) {
            MemorySegment seg = Arena.ofAuto().allocate(dtype.byteSize(values.length), 64);
            Quant.quantize(dtype, values, 0, values.length, seg, 0);
            return new Tensor(name, dtype, shape, seg);
        }
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * dtype.bytes, 64);
        for (int i = 0; i < values.length; i++) {
            short s = switch (dtype) {
                case F16 -> Float.floatToFloat16(values[i]);
                case BF16 -> DType.toBF16(values[i]);
                default -> throw new IllegalArgumentException("cannot store floats as " + dtype);
            };
            seg.setAtIndex(I16, i, s);
        }
        return new Tensor(name, dtype, shape, seg);
    }

    public long size() {
        return count(shape);
    }

    public int rank() {
        return shape.length;
    }

    /** Rows of a 2-D tensor (output features of a linear weight). */
    public int rows() {
        return Math.toIntExact(shape[0]);
    }

    /** Columns of a 2-D tensor (input features of a linear weight); the length of a 1-D tensor. */
    public int cols() {
        return Math.toIntExact(shape[shape.length - 1]);
    }

    /** Element {@code i} (flat index) as a float, whatever the storage type (quantized: its block dequantized). */
    public float getFloat(long i) {
        if (dtype.isQuantized()) {
            float[] block = new float[dtype.blockSize];
            Quant.dequantize(dtype, data, i / dtype.blockSize * dtype.bytes, block, 0, block.length);
            return block[(int) (i % dtype.blockSize)];
        }
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
            case BF16 -> DType.fromBF16(data.getAtIndex(I16, i));
            case F64 ->
                (float) data.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
            default -> throw new UnsupportedOperationException("tensor " + name + " has non-float dtype " + dtype);
        };
    }

    /** All elements widened to float (a copy). */
    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(size())];
        if (dtype == DType.F32) {
            MemorySegment.copy(data, F32, 0, out, 0, out.length);
        } else if (dtype.isQuantized()) {
            Quant.dequantize(dtype, data, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) out[i] = getFloat(i);
        }
        return out;
    }

    /** Row {@code r} of a 2-D tensor widened to float. */
    public float[] row(int r) {
        int c = cols();
        float[] out = new float[c];
        long base = (long) r * c;
        if (dtype.isQuantized()) {
            Quant.dequantize(dtype, data, dtype.byteSize(base), out, 0, c);
            return out;
        }
        for (int i = 0; i < c; i++) out[i] = getFloat(base + i);
        return out;
    }

    public Tensor withName(String newName) {
        return new Tensor(newName, dtype, shape, data);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
