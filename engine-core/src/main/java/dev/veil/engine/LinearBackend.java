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

    /**
     * Qwen3's q_norm / k_norm weights: multiplies each query head of the {@code n} rows of {@code qkv} (already
     * RMS-normalised over head_dim by the forward pass) by γ_q and each key head by γ_k, in place. Called only for
     * families with {@link ModelConfig#qkNorm()}.
     */
    default void applyQkNorm(int layer, float[] qkv, int n) {
        throw new UnsupportedOperationException(
                getClass().getSimpleName() + " does not run q_norm/k_norm (Qwen3) models");
    }

    /** {@code γ_q} on every query head and {@code γ_k} on every key head of {@code n} rows of {@code [q | k | v]}, in place. */
    static void scaleQkHeads(ModelConfig c, float[] qkv, int n, float[] gammaQ, float[] gammaK) {
        int d = c.headDim(), qkvDim = c.qDim() + 2 * c.kvDim();
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < c.numHeads(); h++) for (int i = 0; i < d; i++) qkv[r * qkvDim + h * d + i] *= gammaQ[i];
            for (int h = 0; h < c.numKvHeads(); h++)
                for (int i = 0; i < d; i++) qkv[r * qkvDim + c.qDim() + h * d + i] *= gammaK[i];
        }
    }

    /**
     * A mixture-of-experts layer's router: {@code out[n × experts] = norm(x)·diag(γ_post)·Wrouterᵀ} (the logits, before
     * the softmax). Called only for layers where {@link ModelConfig#isMoeLayer(int)}.
     */
    default void route(int layer, float[] x, int n, float[] out) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not run mixture-of-experts models");
    }

    /**
     * Which experts of sparse layer {@code layer} each of the {@code n} rows is sent to. On entry
     * {@code sent[r·experts + e]} is true exactly for the {@code k} experts row {@code r} chose
     * ({@code chosen[r·k + j]}, in rank order); a backend whose products are computed by someone who must not learn the
     * routing sets more (Talaria: every expert, or decoys). Only the chosen experts' outputs are used, so adding experts
     * costs work, never accuracy; clearing a chosen one is an error. The default sends each row to its chosen experts.
     */
    default void coverExperts(int layer, int n, int k, int experts, int[] chosen, boolean[] sent) {}

    /**
     * One expert's product: {@link LinearOp#GATE_UP} ({@code norm(x)·diag(γ_post)·[Wgate_e; Wup_e]ᵀ}, width
     * 2 × moe_intermediate_size) or {@link LinearOp#DOWN} ({@code x·Wdown_eᵀ}) on the {@code n} rows routed to it.
     */
    default void applyExpert(LinearOp op, int layer, int expert, float[] x, int n, float[] out) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not run mixture-of-experts models");
    }

    /**
     * {@link #applyExpert} for several experts of one sparse layer at once: expert {@code experts[i]} on the
     * {@code rows[i]} rows of {@code x[i]} into {@code out[i]}. One call per layer and projection, so a backend whose
     * products cross a network sends them in one round trip (Talaria: every expert of the layer, design D10); the
     * default runs them one by one.
     */
    default void applyExperts(LinearOp op, int layer, int[] experts, float[][] x, int[] rows, float[][] out) {
        for (int i = 0; i < experts.length; i++) applyExpert(op, layer, experts[i], x[i], rows[i], out[i]);
    }

    @Override
    default void close() {}
}
