package dev.veil.model;

import dev.veil.model.gguf.GgufTokenizerJson;
import dev.veil.model.safetensors.ShardedSafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a Hugging Face model directory (config.json, generation_config.json, model.safetensors or shards, tokenizer
 * files) from any config + weights, streaming one tensor at a time. Used by {@code veil convert --to hf}.
 */
public final class HfModelWriter {
    /** Hugging Face's default shard size for save_pretrained. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5L << 30;
    /** Tokenizer files copied along when the source has them. */
    public static final List<String> TOKENIZER_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

    private HfModelWriter() {}

    /**
     * Writes {@code model} to {@code dir} with every tensor in {@code dtype} (null: keep each tensor's dtype). A GGUF's
     * byte-level BPE vocabulary becomes tokenizer.json + tokenizer_config.json.
     */
    public static void write(ModelFiles model, Path dir, DType dtype) throws IOException {
        write(
                model.config(),
                model.generation(),
                model.weights(),
                model.tokenizerDir(),
                dir,
                dtype,
                DEFAULT_MAX_SHARD_BYTES);
        if (model.gguf() != null) GgufTokenizerJson.write(model.gguf(), dir);
    }

    public static void write(
            ModelConfig config,
            GenerationConfig generation,
            Weights weights,
            Path tokenizerDir,
            Path dir,
            DType dtype,
            long maxShardBytes)
            throws IOException {
        Map<String, long[]> expected = ModelTensors.expected(config);
        List<TensorSpec> specs = new ArrayList<>();
        if (dtype != null && !dtype.isFloat())
            throw new IllegalArgumentException("a Hugging Face checkpoint stores F32, F16 or BF16, not " + dtype);
        for (var e : expected.entrySet()) {
            DType d = dtype != null ? dtype : weights.get(e.getKey()).dtype();
            if (d.isQuantized()) d = DType.F32; // safetensors has no ggml block types: a quantized GGUF is dequantized
            specs.add(new TensorSpec(e.getKey(), d, e.getValue()));
        }
        Files.createDirectories(dir);
        try (ShardedSafetensorsWriter w =
                ShardedSafetensorsWriter.create(dir, specs, Map.of("format", "pt"), maxShardBytes)) {
            for (TensorSpec s : specs) w.write(TensorOps.convert(weights.get(s.name()), s.dtype()));
        }
        DType stored = dtype != null
                ? dtype
                : specs.stream()
                        .filter(s -> s.shape().length == 2)
                        .map(TensorSpec::dtype)
                        .findFirst()
                        .orElse(DType.F32);
        config.withTorchDtype(torchDtype(stored)).write(dir);
        generation.write(dir);
        if (tokenizerDir != null
                && !tokenizerDir
                        .toAbsolutePath()
                        .normalize()
                        .equals(dir.toAbsolutePath().normalize()))
            for (String f : TOKENIZER_FILES)
                if (Files.exists(tokenizerDir.resolve(f)))
                    Files.copy(tokenizerDir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }

    /** The torch_dtype name of a Veil dtype ("float32", "float16", "bfloat16"). */
    public static String torchDtype(DType d) {
        return switch (d) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> d.name().toLowerCase(Locale.ROOT);
        };
    }
}
