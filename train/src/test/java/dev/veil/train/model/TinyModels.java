package dev.veil.train.model;

import dev.veil.model.ModelConfig;
import java.util.List;

/** Small configurations that exercise every path: GQA, q/k/v bias, head_dim ≠ hidden/heads, tied and untied, Qwen3's q/k norms. */
public final class TinyModels {
    private TinyModels() {}

    public static ModelConfig qwen2(int vocab, int maxPositions) {
        return ModelConfig.of(ModelConfig.Architecture.QWEN2, vocab, 8, 12, 2, 2, 1, 6)
                .withNorm(1e-6, 10000.0, null)
                .withTokens(maxPositions, true, true, 0, List.of(0));
    }

    public static ModelConfig llama(int vocab, int maxPositions) {
        return ModelConfig.of(ModelConfig.Architecture.LLAMA, vocab, 8, 12, 2, 4, 2, 4)
                .withNorm(1e-5, 500000.0, null)
                .withTokens(maxPositions, false, false, 1, List.of(2));
    }

    /** Qwen3: q_norm/k_norm, head_dim (6) ≠ hidden/heads, no q/k/v bias, GQA, untied head. */
    public static ModelConfig qwen3(int vocab, int maxPositions) {
        return ModelConfig.of(ModelConfig.Architecture.QWEN3, vocab, 8, 12, 2, 2, 1, 6)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(maxPositions, false, false, 0, List.of(0));
    }

    /** Qwen3-MoE: 4 experts, top 2, renormalised; layer 0 dense (mlp_only_layers), layer 1 sparse. */
    public static ModelConfig qwen3Moe(int vocab, int maxPositions) {
        var experts = new ModelConfig.Moe(4, 2, 6, true, 1, List.of(0));
        return ModelConfig.of(ModelConfig.Architecture.QWEN3_MOE, vocab, 8, 12, 2, 2, 1, 6, experts)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(maxPositions, false, false, 0, List.of(0));
    }
}
