package dev.veil.train.model;

import dev.veil.train.nn.Var;
import java.util.Arrays;

/**
 * A trainable tensor of a model, by its Hugging Face name: values, the gradient that backward passes accumulate,
 * and whether weight decay applies (matrices yes; norms and biases no).
 */
public final class Parameter {
    private final String name;
    private final int[] shape;
    private final float[] value;
    private final float[] grad;
    private final boolean decay;
    private boolean trainable = true;

    public Parameter(String name, int[] shape, float[] value, boolean decay) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != value.length)
            throw new IllegalArgumentException(
                    name + ": " + value.length + " values for shape " + Arrays.toString(shape));
        this.name = name;
        this.shape = shape.clone();
        this.value = value;
        this.grad = new float[value.length];
        this.decay = decay;
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return value.length;
    }

    /** The values, updated in place by the optimizer. */
    public float[] value() {
        return value;
    }

    /** d(loss)/d(value), summed over the backward passes since {@link #zeroGrad()}. */
    public float[] grad() {
        return grad;
    }

    public boolean decay() {
        return decay;
    }

    public boolean trainable() {
        return trainable;
    }

    /** A frozen parameter takes part in forward passes as a constant: no gradient is computed for it. */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
    }

    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }

    /** This parameter as a leaf of one forward pass. */
    public Var var() {
        return trainable ? Var.accumulating(value, grad, shape) : Var.constant(value, shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
