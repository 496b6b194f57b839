package dev.veil.talaria.protocol;

import java.util.Arrays;

/** A named FP32 tensor of a KServe V2 message, row-major. */
public record InferTensor(String name, long[] shape, float[] data) {

    public InferTensor {
        long count = 1;
        for (long s : shape) {
            if (s < 0)
                throw new IllegalArgumentException(
                        "tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
            count *= s;
        }
        if (count != data.length)
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " holds "
                    + count + " values, got " + data.length);
    }

    public static InferTensor matrix(String name, float[] data, int rows, int cols) {
        return new InferTensor(name, new long[] {rows, cols}, data);
    }

    /** Rows of a 2-D tensor. */
    public int rows() {
        return Math.toIntExact(shape[0]);
    }

    /** Columns of a 2-D tensor; the length of a 1-D one. */
    public int cols() {
        return Math.toIntExact(shape[shape.length - 1]);
    }

    public long byteSize() {
        return 4L * data.length;
    }
}
