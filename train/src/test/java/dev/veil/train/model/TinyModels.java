package dev.veil.train.model;

import dev.veil.model.ModelConfig;
import java.util.List;

/** Small configurations that exercise every path: GQA, q/k/v bias, head_dim ≠ hidden/heads, tied and untied. */
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
}
