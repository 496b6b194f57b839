package dev.veil.engine;

import dev.veil.model.ModelConfig;

/**
 * The one seam between the weight-free forward pass and the weights. Implementations: the local backend
 * (weights in memory), Talaria's masked remote backend, and a recording backend for attacks and leakage tests.
 *
 * <p>Activations are row-major {@code float[]} holding {@code n} rows.
 */
public interface LinearBackend extends AutoCloseable {

    ModelConfig config();

    /** Writes the embedding rows of {@code tokens} into {@code out} ({@code tokens.length × hidden}). */
    void embed(int[] tokens, float[] out);

    /**
     * {@code out[n × op.outDim] = x[n × op.inDim] · Wᵀ (+ bias)} for layer {@code layer}
     * ({@code layer} is ignored for {@link LinearOp#LM_HEAD}).
     */
    void apply(LinearOp op, int layer, float[] x, int n, float[] out);

    @Override
    default void close() {}
}
