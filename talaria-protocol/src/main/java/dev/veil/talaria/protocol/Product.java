package dev.veil.talaria.protocol;

import dev.veil.engine.LinearOp;
import dev.veil.model.ModelConfig;

/**
 * The weight products the Talaria cloud serves: the five {@link LinearOp}s of the forward pass plus the
 * embedding, which the client asks for as a (masked) one-hot row times the embedding table (design D1).
 */
public enum Product {
    /** one-hot(token)[V] · E[V×d]: the embedding lookup written as a product, so it can be masked. */
    EMBED(null, false),
    QKV(LinearOp.QKV, true),
    O(LinearOp.O, true),
    GATE_UP(LinearOp.GATE_UP, true),
    DOWN(LinearOp.DOWN, true),
    /** A mixture-of-experts layer's router: norm(x)·diag(γ_post)·W_routerᵀ, one logit per expert. */
    ROUTER(null, true),
    /** One expert's [gate | up] = norm(x)·diag(γ_post)·[W_gate,e; W_up,e]ᵀ. */
    EXPERT_GATE_UP(LinearOp.GATE_UP, true),
    /** One expert's (silu(gate)·up)·W_down,eᵀ. */
    EXPERT_DOWN(LinearOp.DOWN, true),
    LM_HEAD(LinearOp.LM_HEAD, false);

    /** The forward pass's op (for an expert's product, the dense op it mirrors), or null for EMBED and ROUTER. */
    public final LinearOp op;

    private final boolean perLayer;

    Product(LinearOp op, boolean perLayer) {
        this.op = op;
        this.perLayer = perLayer;
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

    /** One expert's product for {@code op}: GATE_UP or DOWN, the only ops an expert has. */
    public static Product ofExpert(LinearOp op) {
        return switch (op) {
            case GATE_UP -> EXPERT_GATE_UP;
            case DOWN -> EXPERT_DOWN;
            default -> throw new IllegalArgumentException(op + " is not an expert product");
        };
    }

    /** One per decoder layer (QKV, O, GATE_UP, DOWN, the router and the experts') rather than one per model. */
    public boolean perLayer() {
        return perLayer;
    }

    /** One per expert of a layer. */
    public boolean perExpert() {
        return this == EXPERT_GATE_UP || this == EXPERT_DOWN;
    }

    /** Width of a row the client sends. */
    public int inDim(ModelConfig c) {
        return switch (this) {
            case EMBED -> c.vocabSize();
            case ROUTER, EXPERT_GATE_UP -> c.hiddenSize();
            case EXPERT_DOWN -> c.moe().moeIntermediateSize();
            default -> op.inDim(c);
        };
    }

    /** Width of a row the cloud returns. */
    public int outDim(ModelConfig c) {
        return switch (this) {
            case EMBED, EXPERT_DOWN -> c.hiddenSize();
            case ROUTER -> c.moe().numExperts();
            case EXPERT_GATE_UP -> 2 * c.moe().moeIntermediateSize();
            default -> op.outDim(c);
        };
    }
}
