package dev.veil.model;

import java.util.Arrays;

/** A tensor's name, dtype and shape (PyTorch order) without its data: what a writer lays out before streaming. */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        shape = shape.clone();
        for (long d : shape)
            if (d < 0)
                throw new IllegalArgumentException(
                        "tensor " + name + ": negative dimension in " + Arrays.toString(shape));
    }

    public static TensorSpec of(Tensor t) {
        return new TensorSpec(t.name(), t.dtype(), t.shape());
    }

    public long elements() {
        return Tensor.count(shape);
    }

    /** ArithmeticException when the size overflows a long (the readers refuse such shapes first). */
    public long byteSize() {
        return dtype.byteSize(elements());
    }

    /** True when {@code t} has this name, dtype and shape. */
    public boolean matches(Tensor t) {
        return name.equals(t.name()) && dtype == t.dtype() && Arrays.equals(shape, t.shape());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec s && name.equals(s.name) && dtype == s.dtype && Arrays.equals(shape, s.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
