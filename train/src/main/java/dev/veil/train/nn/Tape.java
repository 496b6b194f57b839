package dev.veil.train.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the backward step of every op applied during a forward pass, then runs them in reverse: reverse-mode
 * automatic differentiation, one op at a time. Use one tape per forward/backward pass.
 *
 * <pre>{@code
 * Tape tape = new Tape();
 * Var loss = CrossEntropy.mean(tape, model.logits(tape, inputs, batch, seq), targets);
 * tape.backward(loss);          // parameters' gradients now hold d(loss)/d(weight)
 * }</pre>
 *
 * A tape made with {@link #inference()} records nothing: the forward pass keeps no activations for a backward.
 */
public final class Tape {
    private final boolean recording;
    private final FloatPool pool;
    private final List<Runnable> backwardSteps = new ArrayList<>();
    private boolean done;

    public Tape() {
        this(true, null);
    }

    /** A tape whose ops take their outputs and gradients from {@code pool} (training steps: no garbage per step). */
    public Tape(FloatPool pool) {
        this(true, pool);
    }

    private Tape(boolean recording, FloatPool pool) {
        this.recording = recording;
        this.pool = pool;
    }

    /** A tape for forward passes only (evaluation, generation): ops skip gradient bookkeeping. */
    public static Tape inference() {
        return new Tape(false, null);
    }

    /** An array of zeros for an op's output or gradient. */
    float[] zeros(int n) {
        return pool == null ? new float[n] : pool.take(n, true);
    }

    /** An array the op overwrites completely (from a pool its content is the previous step's). */
    float[] uninitialized(int n) {
        return pool == null ? new float[n] : pool.take(n, false);
    }

    public boolean recording() {
        return recording;
    }

    /** True when an op over {@code inputs} must record a backward step: some input wants a gradient. */
    boolean needsGrad(Var... inputs) {
        if (!recording) return false;
        for (Var v : inputs) if (v != null && v.requiresGrad()) return true;
        return false;
    }

    /** Called by ops, in forward order, with the step that propagates their output gradient to their inputs. */
    void record(Runnable backwardStep) {
        if (done) throw new IllegalStateException("this tape has already run backward; use a new tape per pass");
        backwardSteps.add(backwardStep);
    }

    /** Backpropagates from a scalar {@code loss} (seeded with d(loss)/d(loss) = 1). */
    public void backward(Var loss) {
        if (loss.size() != 1)
            throw new IllegalArgumentException("backward from a non-scalar " + loss + ": pass its gradient");
        backward(loss, new float[] {1f});
    }

    /**
     * Backpropagates a given gradient {@code seed} = d(loss)/d(output) of a non-scalar output (a vector–Jacobian
     * product: how a hidden state's error maps back to the inputs).
     */
    public void backward(Var output, float[] seed) {
        if (!recording) throw new IllegalStateException("an inference tape records nothing to backpropagate");
        if (!output.requiresGrad())
            throw new IllegalArgumentException(output + " does not depend on anything that requires a gradient");
        if (seed.length != output.size())
            throw new IllegalArgumentException("seed of " + seed.length + " values for " + output);
        if (done) throw new IllegalStateException("this tape has already run backward; use a new tape per pass");
        done = true;
        float[] g = output.gradBuffer();
        for (int i = 0; i < g.length; i++) g[i] += seed[i];
        for (int i = backwardSteps.size() - 1; i >= 0; i--) {
            backwardSteps.get(i).run();
            backwardSteps.set(i, null); // let the activations it held go
        }
    }
}
