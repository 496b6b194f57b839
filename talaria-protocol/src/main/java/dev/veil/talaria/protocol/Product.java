package dev.veil.talaria.protocol;

import dev.veil.engine.LinearOp;
import dev.veil.model.ModelConfig;

/**
 * The weight products the Talaria cloud serves: the five {@link LinearOp}s of the forward pass plus the
 * embedding, which the client asks for as a (masked) one-hot row times the embedding table (design D1).
 */
public enum Product {
    /** one-hot(token)[V] · E[V×d]: the embedding lookup written as a product, so it can be masked. */
    EMBED(null),
    QKV(LinearOp.QKV),
    O(LinearOp.O),
    GATE_UP(LinearOp.GATE_UP),
    DOWN(LinearOp.DOWN),
    LM_HEAD(LinearOp.LM_HEAD);

    /** The forward pass's op, or null for {@link #EMBED}. */
    public final LinearOp op;

    Product(LinearOp op) {
        this.op = op;
    }

    public static Product of(LinearOp op) {
        return switch (op) {
            case QKV -> QKV;
            case O -> O;
            case GATE_UP -> GATE_UP;
            case DOWN -> DOWN;
            case LM_HEAD -> LM_HEAD;
        };
    }

    /** One per decoder layer (QKV, O, GATE_UP, DOWN) rather than one per model. */
    public boolean perLayer() {
        return op != null && op != LinearOp.LM_HEAD;
    }

    /** Width of a row the client sends. */
    public int inDim(ModelConfig c) {
        return this == EMBED ? c.vocabSize() : op.inDim(c);
    }

    /** Width of a row the cloud returns. */
    public int outDim(ModelConfig c) {
        return this == EMBED ? c.hiddenSize() : op.outDim(c);
    }
}
