package dev.veil.aloepri;

import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.KvCache;
import dev.veil.engine.Sampler;
import dev.veil.engine.Transformer;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import dev.veil.model.Records;
import dev.veil.model.Tensor;
import dev.veil.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Random-weight Hugging Face model directories (config.json + model.safetensors) for the compiler's tests. */
public final class TinyModels {

    private TinyModels() {}

    public static ModelConfig config(
            ModelConfig.Architecture arch,
            int d,
            int layers,
            int heads,
            int kvHeads,
            int headDim,
            int ffn,
            int vocab,
            boolean tied,
            boolean bias) {
        return ModelConfig.of(arch, vocab, d, ffn, layers, heads, kvHeads, headDim)
                .withNorm(1e-5, 10000, null)
                .withTokens(256, tied, bias, 1, List.of(2));
    }

    public static ModelConfig qwen() {
        return config(ModelConfig.Architecture.QWEN2, 64, 2, 4, 2, 16, 128, 300, true, true);
    }

    public static ModelConfig llama() {
        return config(ModelConfig.Architecture.LLAMA, 96, 2, 6, 3, 20, 192, 250, false, false);
    }

    /** Qwen3 (q_norm/k_norm, no bias), two layers, 4 heads over 2 KV heads of {@code headDim}, RandomModel's bos/eos. */
    public static ModelConfig qwen3(int vocab, int d, int ffn, int headDim, boolean tied) {
        return RandomModel.config(
                ModelConfig.Architecture.QWEN3, vocab, d, ffn, 2, 4, 2, headDim, null, tied, false, "float32");
    }

    /** {@code dense}'s shapes as Qwen3-MoE with {@code layers} layers and {@code moe}'s experts (untied). */
    public static ModelConfig qwen3Moe(ModelConfig dense, int layers, ModelConfig.Moe moe) {
        return Records.with(
                dense,
                "architecture",
                ModelConfig.Architecture.QWEN3_MOE,
                "numLayers",
                layers,
                "ropeScaling",
                null,
                "tieWordEmbeddings",
                false,
                "attentionBias",
                false,
                "torchDtype",
                "float32",
                "moe",
                moe);
    }

    /** {@code n} greedy tokens after {@code prompt}. */
    public static int[] greedy(Transformer model, int[] prompt, int n) {
        KvCache cache = new KvCache(model.config(), prompt.length + n);
        int[] out = new int[n];
        float[] logits = model.forward(prompt, cache);
        for (int i = 0; i < n; i++) {
            out[i] = Sampler.argmax(logits);
            if (i + 1 < n) logits = model.forward(new int[] {out[i]}, cache);
        }
        return out;
    }

    /** Writes a random model with {@code c}'s shapes to {@code dir}; norm weights are ≠ 1 so folding is exercised. */
    public static Path write(Path dir, ModelConfig c, String seed) throws IOException {
        KeyStream rng = KeyStream.fromSeed(seed);
        int d = c.hiddenSize();
        List<Tensor> t = new ArrayList<>();
        t.add(random("model.embed_tokens.weight", rng, 0.5, c.vocabSize(), d));
        for (int l = 0; l < c.numLayers(); l++) {
            t.add(normWeight(ModelConfig.layer(l, "input_layernorm.weight"), rng, d));
            t.add(random(ModelConfig.layer(l, "self_attn.q_proj.weight"), rng, 1 / Math.sqrt(d), c.qDim(), d));
            t.add(random(ModelConfig.layer(l, "self_attn.k_proj.weight"), rng, 1 / Math.sqrt(d), c.kvDim(), d));
            t.add(random(ModelConfig.layer(l, "self_attn.v_proj.weight"), rng, 1 / Math.sqrt(d), c.kvDim(), d));
            if (c.attentionBias()) {
                t.add(random(ModelConfig.layer(l, "self_attn.q_proj.bias"), rng, 0.3, c.qDim()));
                t.add(random(ModelConfig.layer(l, "self_attn.k_proj.bias"), rng, 0.3, c.kvDim()));
                t.add(random(ModelConfig.layer(l, "self_attn.v_proj.bias"), rng, 0.3, c.kvDim()));
            }
            t.add(random(ModelConfig.layer(l, "self_attn.o_proj.weight"), rng, 1 / Math.sqrt(c.qDim()), d, c.qDim()));
            t.add(normWeight(ModelConfig.layer(l, "post_attention_layernorm.weight"), rng, d));
            t.add(random(ModelConfig.layer(l, "mlp.gate_proj.weight"), rng, 1 / Math.sqrt(d), c.intermediateSize(), d));
            t.add(random(ModelConfig.layer(l, "mlp.up_proj.weight"), rng, 1 / Math.sqrt(d), c.intermediateSize(), d));
            t.add(random(
                    ModelConfig.layer(l, "mlp.down_proj.weight"),
                    rng,
                    1 / Math.sqrt(c.intermediateSize()),
                    d,
                    c.intermediateSize()));
        }
        t.add(normWeight("model.norm.weight", rng, d));
        if (!c.tieWordEmbeddings()) t.add(random("lm_head.weight", rng, 1 / Math.sqrt(d), c.vocabSize(), d));
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"));
        c.write(dir);
        return dir;
    }

    private static Tensor random(String name, KeyStream rng, double std, long... shape) {
        float[] v = new float[Math.toIntExact(Tensor.count(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * rng.nextGaussian());
        return Tensor.of(name, DType.F32, v, shape);
    }

    private static Tensor normWeight(String name, KeyStream rng, int d) {
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float) (1 + 0.2 * rng.nextGaussian());
        return Tensor.of(name, DType.F32, v, d);
    }
}
