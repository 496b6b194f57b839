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
 */
public final class ModelFiles implements AutoCloseable {
    public enum Format {
        HF,
        GGUF
    }

    private final Path source;
    private final Format format;
    private final ModelConfig config;
    private final GenerationConfig generation;
    private final Weights weights;
    private final Path tokenizerDir;
    private final AutoCloseable resource;

    private ModelFiles(
            Path source,
            Format format,
            ModelConfig config,
            GenerationConfig generation,
            Weights weights,
            Path tokenizerDir,
            AutoCloseable resource) {
        this.source = source;
        this.format = format;
        this.config = config;
        this.generation = generation;
        this.weights = weights;
        this.tokenizerDir = tokenizerDir;
        this.resource = resource;
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
        try {
            ModelTensors.validate(config, weights, dir);
        } catch (IllegalArgumentException e) {
            weights.close();
            throw new IOException(e.getMessage());
        }
        Path tokenizerDir = Files.exists(dir.resolve("tokenizer.json")) ? dir : null;
        return new ModelFiles(dir, Format.HF, config, generation, weights, tokenizerDir, weights);
    }

    private static ModelFiles openGguf(Path file) throws IOException {
        GgufFile g = GgufFile.open(file);
        try {
            ModelConfig config = GgufModel.config(g);
            Weights weights = GgufModel.weights(g, config);
            ModelTensors.validate(config, weights, file);
            return new ModelFiles(file, Format.GGUF, config, GgufModel.generation(g, config), weights, null, g);
        } catch (IllegalArgumentException e) {
            g.close();
            throw new IOException(e.getMessage());
        } catch (IOException | RuntimeException e) {
            g.close();
            throw e;
        }
    }

    public Path source() {
        return source;
    }

    public Format format() {
        return format;
    }

    public ModelConfig config() {
        return config;
    }

    public GenerationConfig generation() {
        return generation;
    }

    /** Tensors under Hugging Face names, in Hugging Face layout; valid until {@link #close()}. */
    public Weights weights() {
        return weights;
    }

    /** The underlying GGUF file for a GGUF model (its vocabulary and raw metadata), else null. */
    public GgufFile gguf() {
        return resource instanceof GgufFile g ? g : null;
    }

    /** The directory holding tokenizer.json (and tokenizer_config.json), or null (GGUF: the vocabulary is in the file). */
    public Path tokenizerDir() {
        return tokenizerDir;
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
