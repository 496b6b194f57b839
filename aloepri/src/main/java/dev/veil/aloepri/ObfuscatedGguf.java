package dev.veil.aloepri;

import dev.veil.model.DType;
import dev.veil.model.GenerationConfig;
import dev.veil.model.ModelConfig;
import dev.veil.model.gguf.GgufExport;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The obfuscated model as a GGUF file for llama.cpp, through the same exporter as any model (architecture
 * {@code llama}, head_dim from the key/value length keys, Q/K rows reordered for llama.cpp's RoPE, q/k/v biases).
 *
 * <p>Its vocabulary block is synthetic ({@code [TOKi]} names, byte tokens for the first 256 ids), never the model's
 * tokenizer: token i of the obfuscated model is plaintext token τ⁻¹(i), so the real strings in the obfuscated order
 * would hand the server τ, and in the plaintext order they would only mislabel every token. llama.cpp needs some
 * vocabulary to load the file; the server works on token ids. BOS/EOS keep their ids (τ fixes special tokens).
 */
public final class ObfuscatedGguf {

    private ObfuscatedGguf() {}

    /** Exports the obfuscated Hugging Face directory {@code obfuscatedDir} to {@code gguf}, 2-D weights in {@code dtype}. */
    public static void write(Path obfuscatedDir, Path gguf, DType dtype) throws IOException {
        ModelConfig config = ModelConfig.read(obfuscatedDir);
        GenerationConfig generation = GenerationConfig.read(obfuscatedDir, config);
        try (SafetensorsWeights weights = SafetensorsWeights.open(obfuscatedDir)) {
            GgufExport.write(config, generation, weights, null, "veil-aloepri-obfuscated", gguf, dtype);
        }
    }
}
