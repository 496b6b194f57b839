package dev.veil.train.nn;

import java.util.Arrays;

/**
 * A value in a computation: a row-major float array with a shape, and — when it {@linkplain #requiresGrad()
 * requires one} — the gradient of the loss with respect to it, filled in by {@link Tape#backward}.
 *
 * <p>Shapes are PyTorch's: the last dimension is contiguous; {@link #rows()} is the product of the others.
 */
public final class Var {
    private final float[] value;
    private final int[] shape;
    private final boolean requiresGrad;
    private float[] grad;
    /** Where the gradient buffer comes from (an op's result): its tape's pool, if any. */
    private Tape tape;

    Var(float[] value, int[] shape, boolean requiresGrad, float[] grad) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        if (n != value.length)
            throw new IllegalArgumentException(value.length + " values for shape " + Arrays.toString(shape));
        if (grad != null && grad.length != value.length)
            throw new IllegalArgumentException(
                    "gradient buffer of " + grad.length + " for " + value.length + " values");
        this.value = value;
        this.shape = shape.clone();
        this.requiresGrad = requiresGrad;
        this.grad = grad;
    }

    /** A value no gradient flows into (data, frozen weights). The array is used as is, not copied. */
    public static Var constant(float[] value, int... shape) {
        return new Var(value, shape, false, null);
    }

    /** A leaf the gradient is wanted for (an input being inverted, a trainable weight). The array is used as is. */
    public static Var variable(float[] value, int... shape) {
        return new Var(value, shape, true, null);
    }

    /**
     * A leaf whose gradient accumulates into {@code grad} (a parameter's gradient buffer): successive backward
     * passes add up until the owner clears it.
     */
    public static Var accumulating(float[] value, float[] grad, int... shape) {
        return new Var(value, shape, true, grad);
    }

    static Var result(Tape tape, float[] value, boolean requiresGrad, int... shape) {
        Var v = new Var(value, shape, requiresGrad, null);
        v.tape = tape;
        return v;
    }

    public float[] value() {
        return value;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return value.length;
    }

    /** The last dimension. */
    public int cols() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** The product of all dimensions but the last. */
    public int rows() {
        return shape.length == 0 ? 1 : value.length / Math.max(1, cols());
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** The single value of a scalar (a loss). */
    public float item() {
        if (value.length != 1)
            throw new IllegalStateException("item() of a value with shape " + Arrays.toString(shape));
        return value[0];
    }

    /**
     * d(loss)/d(this) after {@link Tape#backward}: zeros where nothing flowed. Only values that require a
     * gradient have one.
     */
    public float[] grad() {
        return gradBuffer();
    }

    /** Clears the gradient (before another backward pass into the same leaf, e.g. the next inversion step). */
    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad, 0f);
    }

    /** The gradient buffer, allocated (zeros) on first use; ops add into it. */
    float[] gradBuffer() {
        if (!requiresGrad) throw new IllegalStateException("this value does not require a gradient (a constant)");
        if (grad == null) grad = tape != null ? tape.zeros(value.length) : new float[value.length];
        return grad;
    }

    @Override
    public String toString() {
        return "Var" + Arrays.toString(shape) + (requiresGrad ? " (grad)" : "");
    }
}
