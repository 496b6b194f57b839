package dev.veil.engine;

import dev.veil.model.ModelConfig;

/**
 * A backend that passes every call to another: the base for wrappers that watch or hold some calls (tests' gates,
 * recorders), so that each new kind of call (q/k norms, routers, experts) reaches the wrapped backend without every
 * wrapper having to learn it. {@link #close()} does not close the wrapped backend.
 */
public abstract class ForwardingBackend implements LinearBackend {
    protected final LinearBackend inner;

    protected ForwardingBackend(LinearBackend inner) {
        this.inner = inner;
    }

    @Override
    public ModelConfig config() {
        return inner.config();
    }

    @Override
    public void embed(int[] tokens, float[] out) {
        inner.embed(tokens, out);
    }

    @Override
    public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
        inner.apply(op, layer, x, n, out);
    }

    @Override
    public void applyQkNorm(int layer, float[] qkv, int n) {
        inner.applyQkNorm(layer, qkv, n);
    }

    @Override
    public void route(int layer, float[] x, int n, float[] out) {
        inner.route(layer, x, n, out);
    }

    @Override
    public void coverExperts(int layer, int n, int k, int experts, int[] chosen, boolean[] sent) {
        inner.coverExperts(layer, n, k, experts, chosen, sent);
    }

    @Override
    public void applyExpert(LinearOp op, int layer, int expert, float[] x, int n, float[] out) {
        inner.applyExpert(op, layer, expert, x, n, out);
    }

    @Override
    public void applyExperts(LinearOp op, int layer, int[] experts, float[][] x, int[] rows, float[][] out) {
        inner.applyExperts(op, layer, experts, x, rows, out);
    }
}
