package dev.veil.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Copies of tensors in another dtype or row order: what format conversion needs, one tensor at a time. */
public final class TensorOps {
    private TensorOps() {}

    /** {@code t} stored as {@code to} (rounded to nearest even when narrowing); {@code t} itself if it already is. */
    public static Tensor convert(Tensor t, DType to) {
        if (t.dtype() == to) return t;
        if (!t.dtype().isWeight() || !to.isWeight())
            throw new IllegalArgumentException("tensor " + t.name() + ": cannot convert " + t.dtype() + " to " + to);
        if (t.dtype().isQuantized() || to.isQuantized()) return Tensor.of(t.name(), to, t.toFloats(), t.shape());
        long n = t.size();
        MemorySegment out = Arena.ofAuto().allocate(n * to.bytes, 64);
        for (long i = 0; i < n; i++) {
            float v = t.getFloat(i);
            switch (to) {
                case F32 -> out.setAtIndex(Tensor.F32, i, v);
                case F16 -> out.setAtIndex(Tensor.I16, i, Float.floatToFloat16(v));
                case BF16 -> out.setAtIndex(Tensor.I16, i, DType.toBF16(v));
                default -> throw new IllegalStateException();
            }
        }
        return new Tensor(t.name(), to, t.shape(), out);
    }

    /**
     * A copy of {@code t} with its rows (first dimension; the elements of a 1-D tensor) reordered so that output
     * row {@code i} is input row {@code from[i]}.
     */
    public static Tensor permuteRows(Tensor t, int[] from) {
        long rows = t.shape()[0];
        if (from.length != rows)
            throw new IllegalArgumentException(
                    "tensor " + t.name() + ": permutation of " + from.length + " for " + rows + " rows");
        long rowBytes = t.data().byteSize() / rows;
        MemorySegment out = Arena.ofAuto().allocate(t.data().byteSize(), 64);
        for (int i = 0; i < from.length; i++)
            MemorySegment.copy(t.data(), from[i] * rowBytes, out, i * rowBytes, rowBytes);
        return new Tensor(t.name(), t.dtype(), t.shape(), out);
    }

    /** The inverse permutation: {@code inverse(p)[p[i]] = i}. */
    public static int[] inverse(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inv[perm[i]] = i;
        return inv;
    }
}
