package dev.veil.verify;

import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelConfig.Moe;
import dev.veil.model.ModelConfig.RopeScaling;
import java.util.List;
import java.util.stream.Stream;

/**
 * The model shapes verified against the independent engines: together they cover every feature of the engine
 * (GQA and MQA, multi-head, q/k/v bias, tied and untied embeddings, head_dim ≠ hidden/heads, llama3 rope scaling,
 * rope_theta from 10⁴ to 10⁶, Llama, Qwen2, Qwen3 (q_norm/k_norm; llama.cpp's qwen3 graph) and Qwen3-MoE (top-2 of
 * 8 and top-4 of 16 experts; llama.cpp's qwen3moe graph) configs). Tiny, so the whole module runs in about a minute. The shapes
 * only llama.cpp checks have widths that are not multiples of the vector length, so the kernels' scalar tails run
 * too; the two Jlama also runs have multiples of 16, as Jlama's kernels need. The vocabulary (≥ 258) holds a
 * complete byte-level BPE vocabulary (see {@code SyntheticTokenizer}). One EOS id each, as Jlama reads only one.
 */
enum Shapes {
    /** GQA 6/2, untied, llama3 scaling with original_max_position 64 so all three frequency bands occur. */
    LLAMA_GQA_LLAMA3(shape(
            ModelConfig.of(Architecture.LLAMA, 512, 96, 200, 2, 6, 2, 16),
            1e-5,
            10000.0,
            new RopeScaling(8.0, 1.0, 4.0, 64),
            false,
            false)),
    /** Multi-head attention, untied, three layers: the plain Llama that every engine runs. */
    LLAMA_MHA(shape(ModelConfig.of(Architecture.LLAMA, 384, 64, 176, 3, 4, 4, 16), 1e-6, 10000.0, null, false, false)),
    /** Tied embeddings, attention_bias, head_dim 24 with hidden 80 and 4 heads (4 × 24 = 96 ≠ 80), theta 5·10⁵. */
    LLAMA_TIED_BIAS_ODD_HEAD_DIM(
            shape(ModelConfig.of(Architecture.LLAMA, 320, 80, 168, 2, 4, 2, 24), 1e-5, 500000.0, null, true, true)),
    /** Qwen2 as released: q/k/v bias, tied embeddings, GQA 6/2, theta 10⁶. */
    QWEN2_GQA_TIED(
            shape(ModelConfig.of(Architecture.QWEN2, 512, 96, 224, 2, 6, 2, 16), 1e-6, 1000000.0, null, true, true)),
    /** Qwen2 with one key/value head (MQA), untied, head_dim 20 with hidden 64 and 4 heads (80 ≠ 64). */
    QWEN2_MQA_UNTIED_ODD_HEAD_DIM(
            shape(ModelConfig.of(Architecture.QWEN2, 448, 64, 144, 2, 4, 1, 20), 1e-6, 1000000.0, null, false, true)),
    /** Qwen3: q_norm/k_norm over head_dim, no bias, tied, GQA 6/2, head_dim 24 with hidden 96 (6 × 24 = 144 ≠ 96). */
    QWEN3_GQA_TIED(
            shape(ModelConfig.of(Architecture.QWEN3, 512, 96, 224, 2, 6, 2, 24), 1e-6, 1000000.0, null, true, false)),
    /** Qwen3-MoE: 8 experts of width 40, top-2 renormalised, untied, GQA 4/2, head_dim 20 with hidden 64. */
    QWEN3_MOE_TOP2(shape(
            ModelConfig.of(Architecture.QWEN3_MOE, 448, 64, 144, 2, 4, 2, 20, new Moe(8, 2, 40, true, 1, List.of())),
            1e-6,
            1000000.0,
            null,
            false,
            false)),
    /** Qwen3-MoE: 16 experts of width 24, top-4, tied, MQA, three layers, theta 10⁴. */
    QWEN3_MOE_TOP4_MQA(shape(
            ModelConfig.of(Architecture.QWEN3_MOE, 384, 48, 96, 3, 4, 1, 16, new Moe(16, 4, 24, true, 1, List.of())),
            1e-6,
            10000.0,
            null,
            true,
            false));

    final ModelConfig config;

    Shapes(ModelConfig config) {
        this.config = config;
    }

    /** The shape with its norm and rope settings, 256 positions, BOS and EOS the vocabulary's last two ids. */
    private static ModelConfig shape(
            ModelConfig base, double eps, double theta, RopeScaling scaling, boolean tied, boolean attentionBias) {
        int v = base.vocabSize();
        return base.withNorm(eps, theta, scaling).withTokens(256, tied, attentionBias, v - 2, List.of(v - 1));
    }

    static Stream<Shapes> all() {
        return Stream.of(values());
    }
}
