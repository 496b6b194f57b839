package dev.veil.model;

import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelConfig.Moe;
import dev.veil.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Writes a random-weight model in the Hugging Face layout ({@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json}), streaming one tensor at a time so a model of any size fits in bounded memory.
 *
 * <p>Weights are uniform with the standard deviation of a Kaiming-style init ({@code 1/sqrt(in)}), so activations
 * stay of order one through the layers; norm weights are 1 + noise so that a forgotten γ shows.
 */
public final class RandomModel {
    /** Special tokens of the synthetic vocabulary; bos and eos take the last two ids. */
    public static final List<String> SPECIALS = List.of("<|bos|>", "<|eos|>");

    private RandomModel() {}

    /**
     * {@code embedding}: standard deviation of the token embeddings. With tied embeddings, a large one makes every
     * token predict itself (the residual stream stays close to its own embedding, which is also its LM-head row),
     * so tied models want a small one. {@code normNoise}: spread of the norm weights around 1.
     */
    public record Scales(double embedding, double normNoise) {
        public static final Scales DEFAULT = new Scales(1.0, 0.1);
    }

    /** A config with this synthetic vocabulary's bos/eos ids. */
    public static ModelConfig config(
            ModelConfig.Architecture arch,
            int vocab,
            int hidden,
            int intermediate,
            int layers,
            int heads,
            int kvHeads,
            int headDim,
            ModelConfig.RopeScaling scaling,
            boolean tied,
            boolean bias,
            String torchDtype) {
        return ModelConfig.of(arch, vocab, hidden, intermediate, layers, heads, kvHeads, headDim)
                .withNorm(1e-5, 10000.0, scaling)
                .withTokens(4096, tied, bias || arch == ModelConfig.Architecture.QWEN2, vocab - 2, List.of(vocab - 1))
                .withTorchDtype(torchDtype);
    }

    /** The tensors a model of {@code c} holds, in checkpoint order, all stored as {@code dtype}. */
    public static List<TensorSpec> specs(ModelConfig c, DType dtype) {
        return ModelTensors.expected(c).entrySet().stream()
                .map(e -> new TensorSpec(e.getKey(), dtype, e.getValue()))
                .toList();
    }

    /**
     * A mixture-of-experts config ({@code moe}) with this synthetic vocabulary's bos/eos ids and the other settings
     * {@link #config} gives a dense one (untied, no bias, float32).
     */
    public static ModelConfig config(
            Architecture arch, int vocab, int hidden, int ffn, int layers, int heads, int kv, int headDim, Moe moe) {
        return ModelConfig.of(arch, vocab, hidden, ffn, layers, heads, kv, headDim, moe)
                .withNorm(1e-5, 10000.0, null)
                .withTokens(4096, false, false, vocab - 2, List.of(vocab - 1));
    }

    /**
     * The model of {@code c} in {@code dtype} (seed 42, default scales) in {@code dir}, written only if it is not
     * there: into a temporary sibling first, then moved into place, so a half-written model is never found.
     */
    public static Path writeOnce(Path dir, ModelConfig c, DType dtype) throws IOException {
        if (Files.exists(dir.resolve("config.json"))) return dir;
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), "random-model");
        write(tmp, c, dtype, 42, Scales.DEFAULT);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    /** Writes the model into {@code dir} (created if needed). */
    public static void write(Path dir, ModelConfig c, DType dtype, long seed, Scales scales) throws IOException {
        Files.createDirectories(dir);
        List<TensorSpec> specs = specs(c, dtype);
        try (SafetensorsWriter w =
                SafetensorsWriter.create(dir.resolve("model.safetensors"), specs, Map.of("format", "pt"))) {
            for (TensorSpec spec : specs) w.write(tensor(spec, seed, scales));
        }
        c.write(dir);
        GenerationConfig.of(c.bosTokenId(), c.eosTokenIds()).write(dir);
        SyntheticTokenizer.write(dir, c.vocabSize(), SPECIALS);
    }

    /** The model's weights in memory, as {@link #write} would store them. */
    public static Weights weights(ModelConfig c, DType dtype, long seed, Scales scales) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (TensorSpec spec : specs(c, dtype)) tensors.put(spec.name(), tensor(spec, seed, scales));
        return Weights.of(tensors);
    }

    /**
     * How a fixture draws one tensor's values: {@link #tensors} asks it once per tensor, then calls the returned draw
     * once per element. Each fixture keeps its own scales and arithmetic here, so its weights stay what its tests were
     * tuned to.
     */
    @FunctionalInterface
    public interface Init {
        Draw tensor(String name, long[] shape);
    }

    @FunctionalInterface
    public interface Draw {
        float next(RandomGenerator rng);
    }

    /**
     * The one random-weight generator of the test fixtures (model's RandomModels, engine's TestModels, talaria-cloud's
     * and aloepri's TinyModels): every tensor {@code c} requires, in checkpoint order, stored as {@code dtype}, its
     * values drawn by {@code init} from the one stream {@code rng} (same generator state, same weights).
     */
    public static Map<String, Tensor> tensors(ModelConfig c, DType dtype, RandomGenerator rng, Init init) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        ModelTensors.expected(c).forEach((name, shape) -> {
            Draw draw = init.tensor(name, shape);
            float[] v = new float[Math.toIntExact(Tensor.count(shape))];
            for (int i = 0; i < v.length; i++) v[i] = draw.next(rng);
            out.put(name, Tensor.of(name, dtype, v, shape));
        });
        return out;
    }

    /** Gaussian values with the means and standard deviations {@link #write} gives its uniform ones. */
    public static Init gaussian(Scales scales) {
        return (name, shape) -> {
            double mean = mean(name), std = std(name, shape, scales);
            return rng -> (float) (mean + std * rng.nextGaussian());
        };
    }

    private static double mean(String name) {
        return name.endsWith("norm.weight") ? 1.0 : 0.0;
    }

    /** Norm weights 1 ± normNoise, biases 0.1, embeddings {@code embedding}, matrices 1/sqrt(in). */
    private static double std(String name, long[] shape, Scales scales) {
        if (name.endsWith("norm.weight")) return scales.normNoise();
        if (name.endsWith(".bias")) return 0.1;
        if (name.equals("model.embed_tokens.weight")) return scales.embedding();
        return 1.0 / Math.sqrt(shape[1]);
    }

    private static Tensor tensor(TensorSpec spec, long seed, Scales scales) {
        String name = spec.name();
        SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + name.hashCode());
        long n = spec.elements();
        double mean = mean(name);
        double halfWidth = std(name, spec.shape(), scales) * Math.sqrt(3); // uniform on [-a, a] has std a/sqrt(3)
        MemorySegment data = Arena.ofAuto().allocate(n * spec.dtype().bytes, 64);
        for (long i = 0; i < n; i++) {
            float v = (float) (mean + halfWidth * (2 * rng.nextDouble() - 1));
            switch (spec.dtype()) {
                case F32 -> data.setAtIndex(Tensor.F32, i, v);
                case F16 -> data.setAtIndex(Tensor.I16, i, Float.floatToFloat16(v));
                case BF16 -> data.setAtIndex(Tensor.I16, i, DType.toBF16(v));
                default ->
                    throw new IllegalArgumentException("random weights in " + spec.dtype() + " are not supported");
            }
        }
        return new Tensor(name, spec.dtype(), spec.shape(), data);
    }
}
