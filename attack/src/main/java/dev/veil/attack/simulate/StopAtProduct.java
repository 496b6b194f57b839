package dev.veil.attack.simulate;

import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import java.util.Arrays;

/**
 * Runs the engine's forward pass only as far as it must: when armed, the first call to the target product records its
 * input rows and ends the pass by throwing {@link Reached} (the KV cache keeps its size, so the next candidate
 * overwrites what this one wrote). Disarmed, it is the inner backend.
 */
public final class StopAtProduct extends ForwardingBackend {

    /** Thrown to end a forward pass at the target; carries no stack trace (it is control flow, thrown per candidate). */
    static final class Reached extends RuntimeException {
        Reached() {
            super("reached the target product", null, false, false);
        }
    }

    private static final Reached REACHED = new Reached();

    private final LinearOp op;
    private final int layer;
    private boolean armed;
    private float[] captured;

    StopAtProduct(LinearBackend inner, LinearOp op, int layer) {
        super(inner);
        this.op = op;
        this.layer = layer;
    }

    void arm(boolean on) {
        armed = on;
    }

    /** The target's input rows of the last armed pass. */
    float[] captured() {
        return captured;
    }

    @Override
    public void apply(LinearOp o, int l, float[] x, int n, float[] out) {
        if (armed && o == op && (l == layer || o == LinearOp.LM_HEAD)) {
            captured = Arrays.copyOf(x, n * o.inDim(config()));
            throw REACHED;
        }
        inner.apply(o, l, x, n, out);
    }
}
