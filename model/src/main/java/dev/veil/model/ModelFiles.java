package dev.veil.model;

import dev.veil.model.gguf.GgufFile;
import dev.veil.model.gguf.GgufModel;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model on disk, whatever its format: a Hugging Face directory (config.json, model.safetensors or shards,
 * generation_config.json, tokenizer files) or a llama/qwen2 {@code .gguf} file. It always presents the
 * Hugging Face view: {@link ModelConfig}, tensors under Hugging Face names and layout. Opening checks that every
 * tensor the config implies is present with the right shape and a float dtype; problems are one IOException
 * naming the file and what is wrong. Tensors are memory-mapped and valid until {@link #close()}.
 *
 * @param weights      tensors under Hugging Face names, in Hugging Face layout; valid until {@link #close()}
 * @param tokenizerDir the directory holding tokenizer.json (and tokenizer_config.json), or null (GGUF: the vocabulary
 *                     is in the file)
 * @param resource     what {@link #close()} closes: the mapped safetensors files or the GGUF file
 */
public record ModelFiles(
        Path source,
        Format format,
        ModelConfig config,
        GenerationConfig generation,
        Weights weights,
        Path tokenizerDir,
        AutoCloseable resource)
        implements AutoCloseable {
    public enum Format {
        HF,
        GGUF
    }

    /** Opens a Hugging Face model directory or a {@code .gguf} file. */
    public static ModelFiles open(Path path) throws IOException {
        if (!Files.exists(path)) throw new IOException(path + ": no such file or directory");
        return Files.isDirectory(path) ? openHf(path) : openGguf(path);
    }

    private static ModelFiles openHf(Path dir) throws IOException {
        ModelConfig config = ModelConfig.read(dir);
        GenerationConfig generation = GenerationConfig.read(dir, config);
        SafetensorsWeights weights = SafetensorsWeights.open(dir);
        Path tokenizerDir = Files.exists(dir.resolve("tokenizer.json")) ? dir : null;
        return closingOnError(weights, () -> {
            ModelTensors.validate(config, weights, dir);
            return new ModelFiles(dir, Format.HF, config, generation, weights, tokenizerDir, weights);
        });
    }

    private static ModelFiles openGguf(Path file) throws IOException {
        GgufFile g = GgufFile.open(file);
        return closingOnError(g, () -> {
            ModelConfig config = GgufModel.config(g);
            Weights weights = GgufModel.weights(g, config);
            ModelTensors.validate(config, weights, file);
            return new ModelFiles(file, Format.GGUF, config, GgufModel.generation(g, config), weights, null, g);
        });
    }

    private interface Opening {
        ModelFiles open() throws IOException;
    }

    /**
     * {@code opening}'s model; when it fails, {@code resource} (the open files) is closed, and a model the checks refuse
     * (an IllegalArgumentException) is reported as an IOException with the same message.
     */
    private static ModelFiles closingOnError(AutoCloseable resource, Opening opening) throws IOException {
        try {
            return opening.open();
        } catch (IOException | RuntimeException e) {
            try {
                resource.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IllegalArgumentException) throw new IOException(e.getMessage());
            throw e;
        }
    }

    /** The underlying GGUF file for a GGUF model (its vocabulary and raw metadata), else null. */
    public GgufFile gguf() {
        return resource instanceof GgufFile g ? g : null;
    }

    @Override
    public void close() {
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException(source + ": close failed", e);
        }
    }
}
