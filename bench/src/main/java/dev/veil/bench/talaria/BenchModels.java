package dev.veil.bench.talaria;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelTensors;
import dev.veil.model.RandomModel;
import dev.veil.model.Tensor;
import dev.veil.model.VeilCache;
import dev.veil.model.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** The model Talaria's benchmark runs when given none: Qwen2-shaped, random weights, about the size of Veil's bundled model. */
public final class BenchModels {

    private BenchModels() {}

    /** d = 256, 4 layers, d_ff = 768, 8 heads / 4 kv heads, V = 4096, tied, q/k/v bias: 4.2 M parameters. */
    public static ModelConfig small() {
        return ModelConfig.of(ModelConfig.Architecture.QWEN2, 4096, 256, 768, 4, 8, 4, 32)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(1024, true, true, -1, List.of(4095));
    }

    /**
     * Real models' shapes with random weights ({@code --shape}): the vocabulary, depth and widths of the released
     * checkpoints, stored in BF16 as they ship, tied embeddings as they are. Rope scaling is left out (it changes no
     * cost); the synthetic vocabulary's last two ids are bos and eos.
     */
    public static ModelConfig shape(String name) {
        return switch (name) {
            case "qwen2.5-0.5b" ->
                ModelConfig.of(ModelConfig.Architecture.QWEN2, 151_936, 896, 4864, 24, 14, 2, 64)
                        .withNorm(1e-6, 1_000_000.0, null)
                        .withTokens(32768, true, true, 151_934, List.of(151_935))
                        .withTorchDtype("bfloat16");
            case "llama-3.2-1b" ->
                ModelConfig.of(ModelConfig.Architecture.LLAMA, 128_256, 2048, 8192, 16, 32, 8, 64)
                        .withNorm(1e-5, 500_000.0, null)
                        .withTokens(131072, true, false, 128_254, List.of(128_255))
                        .withTorchDtype("bfloat16");
            default ->
                throw new IllegalArgumentException("unknown shape '" + name + "' (known: qwen2.5-0.5b, llama-3.2-1b)");
        };
    }

    /**
     * The model directory of {@link #shape}{@code (name)} with random BF16 weights, written once under the Veil cache
     * ({@code bench/<name>-bf16}) and reused. The embedding's spread is small, as in trained tied models: a large one
     * makes every token predict itself (the LM head is the same table).
     */
    public static Path cachedShape(String name) throws IOException {
        ModelConfig c = shape(name);
        Path dir = VeilCache.dir().resolve("bench/" + name + "-bf16");
        Path done = dir.resolve(".done");
        if (!Files.exists(done)) {
            RandomModel.write(dir, c, DType.BF16, 42, new RandomModel.Scales(0.05, 0.1));
            Files.writeString(done, "");
        }
        return dir;
    }

    /** Random F32 weights (N(0, 1/in) linears, norms near 1, small biases) under the Hugging Face names. */
    public static Weights random(ModelConfig c, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ModelTensors.expected(c).forEach((name, shape) -> {
            float[] v = new float[Math.toIntExact(Tensor.count(shape))];
            boolean norm = name.endsWith("norm.weight");
            double std = name.endsWith(".bias")
                    ? 0.1
                    : name.equals(ModelTensors.EMBED) ? 0.5 : 1 / Math.sqrt(shape[shape.length - 1]);
            for (int i = 0; i < v.length; i++)
                v[i] = norm ? 1 + 0.1f * (float) r.nextGaussian() : (float) (std * r.nextGaussian());
            tensors.put(name, Tensor.of(name, DType.F32, v, shape));
        });
        return Weights.of(tensors);
    }
}
