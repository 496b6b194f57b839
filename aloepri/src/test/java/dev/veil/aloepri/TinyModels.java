package dev.veil.aloepri;

import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.KvCache;
import dev.veil.engine.Sampler;
import dev.veil.engine.Transformer;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelTensors;
import dev.veil.model.RandomModel;
import dev.veil.model.Records;
import dev.veil.model.Tensor;
import dev.veil.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /**
     * Writes a random model with {@code c}'s shapes (Llama or Qwen2) to {@code dir}; norm weights are ≠ 1 so folding is
     * exercised. Embeddings N(0, 0.5²), biases N(0, 0.3²), matrices N(0, 1/in).
     */
    public static Path write(Path dir, ModelConfig c, String seed) throws IOException {
        RandomModel.Init init = (name, shape) -> {
            if (name.endsWith("norm.weight")) return r -> (float) (1 + 0.2 * r.nextGaussian());
            double std;
            if (name.equals(ModelTensors.EMBED)) std = 0.5;
            else if (name.endsWith(".bias")) std = 0.3;
            else std = 1 / Math.sqrt(shape[1]);
            return r -> (float) (std * r.nextGaussian());
        };
        Map<String, Tensor> t = RandomModel.tensors(c, DType.F32, KeyStream.fromSeed(seed), init);
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), List.copyOf(t.values()), Map.of("format", "pt"));
        c.write(dir);
        return dir;
    }
}
