package dev.veil.talaria.cloud;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelTensors;
import dev.veil.model.RandomModel;
import dev.veil.model.Weights;
import java.util.List;
import java.util.Random;

/**
 * Small random-weight models in the Hugging Face layout for Talaria's tests (shared with talaria-client's tests
 * through this module's test-jar). Linear weights are N(0, 1/in) so activations keep their scale through the layers;
 * the LM head is scaled up so greedy decoding has clear winners (a random model's logits are otherwise nearly flat
 * and a 1e-6 rounding difference could flip a tie).
 */
public final class TinyModels {

    private TinyModels() {}

    /** Qwen2 shape: q/k/v bias, tied embeddings, GQA (4 heads, 2 kv heads). */
    public static ModelConfig qwen2() {
        return ModelConfig.of(Architecture.QWEN2, 384, 64, 160, 2, 4, 2, 16)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(256, true, true, -1, List.of(383));
    }

    /** Llama shape: untied head, llama3 rope scaling, head_dim 24 != hidden/heads, GQA. */
    public static ModelConfig llama() {
        return ModelConfig.of(Architecture.LLAMA, 320, 48, 128, 3, 4, 2, 24)
                .withNorm(1e-5, 500_000.0, new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 64))
                .withTokens(256, false, false, 1, List.of(2));
    }

    /** Qwen3 shape: q_norm/k_norm over head_dim 24 (4 × 24 ≠ hidden 64), no bias, tied, GQA. */
    public static ModelConfig qwen3() {
        return ModelConfig.of(Architecture.QWEN3, 384, 64, 160, 2, 4, 2, 24)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(256, true, false, -1, List.of(383));
    }

    /** Qwen3-MoE shape: 4 experts of width 48, top-2 renormalised, layer 1 dense (mlp_only_layers), tied. */
    public static ModelConfig qwen3Moe() {
        var experts = new ModelConfig.Moe(4, 2, 48, true, 1, List.of(1));
        return ModelConfig.of(Architecture.QWEN3_MOE, 384, 64, 160, 3, 4, 2, 16, experts)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(256, true, false, -1, List.of(383));
    }

    public static Weights random(ModelConfig c, long seed) {
        RandomModel.Init init = (name, shape) -> {
            if (name.endsWith("norm.weight")) return r -> 1 + 0.2f * (float) r.nextGaussian();
            double std;
            if (name.endsWith(".bias")) std = 0.1;
            else if (name.equals(ModelTensors.EMBED)) std = c.tieWordEmbeddings() ? 0.6 : 1.0;
            else if (name.equals(ModelTensors.LM_HEAD)) std = 0.6;
            else std = 1 / Math.sqrt(shape[1]);
            return r -> (float) (std * r.nextGaussian());
        };
        return Weights.of(RandomModel.tensors(c, DType.F32, new Random(seed), init));
    }
}
