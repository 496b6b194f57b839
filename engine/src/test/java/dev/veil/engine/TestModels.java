package dev.veil.engine;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelConfig.Moe;
import dev.veil.model.ModelConfig.RopeScaling;
import dev.veil.model.ModelTensors;
import dev.veil.model.RandomModel;
import dev.veil.model.RandomModel.Scales;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random-weight models with the real Hugging Face tensor names and shapes (any family: the names come from the
 * architecture description), for tests here and in other modules (engine test-jar). Weights are scaled so activations stay sane through the layers: matrices N(0, 1/in),
 * norm weights 1 + N(0, 0.1²), biases N(0, 0.1²), embeddings N(0, 1).
 *
 * <p>The configs are tiny but cover every shape the engine handles, and their widths are chosen so the kernels'
 * scalar tails run too (dimensions that are not multiples of 16).
 */
public final class TestModels {

    private TestModels() {}

    /** Llama: GQA (4 heads over 2 kv heads), untied lm_head, llama3 rope scaling with all three frequency bands. */
    public static ModelConfig llama() {
        return ModelConfig.of(Architecture.LLAMA, 300, 64, 176, 2, 4, 2, 16)
                .withNorm(1e-5, 10000.0, new RopeScaling(8.0, 1.0, 4.0, 64))
                .withTokens(256, false, false, 1, List.of(2));
    }

    /** Qwen2: q/k/v bias, tied embeddings, GQA (6 heads over 2), hidden and intermediate with vector tails. */
    public static ModelConfig qwen2() {
        return ModelConfig.of(Architecture.QWEN2, 320, 48, 136, 2, 6, 2, 8)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(256, true, true, -1, List.of(5, 7));
    }

    /** head_dim 20 with hidden 40 and 4 heads (heads × head_dim = 80 ≠ hidden), Llama with attention bias. */
    public static ModelConfig oddHeadDim() {
        return ModelConfig.of(Architecture.LLAMA, 200, 40, 72, 2, 4, 2, 20)
                .withNorm(1e-5, 10000.0, null)
                .withTokens(128, false, true, 1, List.of(2));
    }

    /** Multi-head attention (as many kv heads as heads), three layers. */
    public static ModelConfig mha() {
        return ModelConfig.of(Architecture.LLAMA, 256, 64, 128, 3, 4, 4, 16)
                .withNorm(1e-6, 10000.0, null)
                .withTokens(128, false, false, 1, List.of(2));
    }

    /** Qwen3: q_norm/k_norm, no bias, tied embeddings, GQA 6/2, explicit head_dim 16 (6 × 16 = 96 ≠ hidden 48). */
    public static ModelConfig qwen3() {
        return ModelConfig.of(Architecture.QWEN3, 320, 48, 136, 2, 6, 2, 16)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(256, true, false, -1, List.of(5));
    }

    /**
     * Qwen3-MoE: 6 experts of width 24, 2 per token, renormalised; three layers, the middle one dense
     * (mlp_only_layers [1]) with intermediate 72; untied; head_dim 12 with hidden 40 and 4 heads.
     */
    public static ModelConfig qwen3Moe() {
        var experts = new Moe(6, 2, 24, true, 1, List.of(1));
        return ModelConfig.of(Architecture.QWEN3_MOE, 300, 40, 72, 3, 4, 2, 12, experts)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(256, false, false, -1, List.of(5));
    }

    /** All the configs above, by name. */
    public static Map<String, ModelConfig> all() {
        Map<String, ModelConfig> m = new LinkedHashMap<>();
        m.put("llama", llama());
        m.put("qwen2", qwen2());
        m.put("oddHeadDim", oddHeadDim());
        m.put("mha", mha());
        m.put("qwen3", qwen3());
        m.put("qwen3Moe", qwen3Moe());
        return m;
    }

    /** Name → shape of every tensor {@code c} needs, as the architecture description lists them. */
    public static Map<String, long[]> shapes(ModelConfig c) {
        return ModelTensors.expected(c);
    }

    /** Random weights for {@code c} stored as {@code dtype} (rounded to nearest for F16/BF16); same seed, same weights. */
    public static Weights random(ModelConfig c, DType dtype, long seed) {
        return of(RandomModel.tensors(c, dtype, new SplittableRandom(seed), RandomModel.gaussian(Scales.DEFAULT)));
    }

    /** In-memory weights over the given tensors (kept in insertion order). */
    public static Weights of(Map<String, Tensor> tensors) {
        return Weights.of(tensors);
    }
}
