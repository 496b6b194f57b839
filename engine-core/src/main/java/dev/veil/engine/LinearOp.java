package dev.veil.engine;

import dev.veil.model.ModelConfig;

/**
 * The weight products of a decoder, one per round trip in Talaria. Each reads a row that the forward
 * pass has already RMS-normalised <em>without</em> the norm weight: the norm weight belongs to the
 * weights and is applied (or folded) by the backend, so the forward pass itself holds no weight.
 */
public enum LinearOp {
    /** [q | k | v] = norm(x)·diag(γ_in)·[Wq; Wk; Wv]ᵀ (+ biases). */
    QKV,
    /** attention output · Woᵀ. */
    O,
    /** [gate | up] = norm(x)·diag(γ_post)·[Wgate; Wup]ᵀ. */
    GATE_UP,
    /** (silu(gate)·up) · Wdownᵀ. */
    DOWN,
    /** logits = norm(x)·diag(γ_final)·Wheadᵀ. */
    LM_HEAD;

    public int inDim(ModelConfig c) {
        return switch (this) {
            case QKV, GATE_UP, LM_HEAD -> c.hiddenSize();
            case O -> c.qDim();
            case DOWN -> c.intermediateSize();
        };
    }

    public int outDim(ModelConfig c) {
        return switch (this) {
            case QKV -> c.qDim() + 2 * c.kvDim();
            case O, DOWN -> c.hiddenSize();
            case GATE_UP -> 2 * c.intermediateSize();
            case LM_HEAD -> c.vocabSize();
        };
    }
}
