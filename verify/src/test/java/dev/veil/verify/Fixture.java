package dev.veil.verify;

import dev.veil.engine.TestModels;
import dev.veil.model.DType;
import dev.veil.model.GenerationConfig;
import dev.veil.model.HfModelWriter;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.ModelTensors;
import dev.veil.model.RandomModel;
import dev.veil.model.SyntheticTokenizer;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.model.gguf.GgufExport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A random-weight model written the way users ship models: a Hugging Face directory (config.json,
 * generation_config.json, model.safetensors, tokenizer.json), plus Veil's own GGUF export of it for llama.cpp.
 *
 * <p>Weights come from {@link TestModels#random} (matrices N(0, 1/in), norms 1 + N(0, 0.1²), biases N(0, 0.1²),
 * embeddings N(0, 1)), except that tied embeddings are scaled to N(0, 0.1²): with a tied head, large embeddings keep
 * the residual stream close to the current token's own embedding, which is also its LM-head row, so every greedy
 * continuation degenerates into repeating one token and compares nothing.
 */
record Fixture(String name, ModelConfig config, Path dir, Path gguf) {

    static final double TIED_EMBEDDING_SCALE = 0.1;

    static Fixture create(Shapes shape, DType dtype, Path parent) throws IOException {
        return create(shape.name(), shape.config, shape.ordinal() + 1, dtype, parent);
    }

    /**
     * A fixture of any config; with a quantized {@code dtype} (Q8_0, Q4_K) the Hugging Face directory holds F32
     * weights and only the GGUF is quantized, so both engines must run the GGUF.
     */
    static Fixture create(String name, ModelConfig c, long seed, DType dtype, Path parent) throws IOException {
        Weights weights = TestModels.random(c, DType.F32, seed);
        if (c.tieWordEmbeddings()) weights = scaled(weights, ModelTensors.EMBED, TIED_EMBEDDING_SCALE);
        Path dir = parent.resolve(name.toLowerCase());
        HfModelWriter.write(
                c,
                GenerationConfig.of(c.bosTokenId(), c.eosTokenIds()),
                weights,
                null,
                dir,
                dtype.isQuantized() ? DType.F32 : dtype,
                HfModelWriter.DEFAULT_MAX_SHARD_BYTES);
        SyntheticTokenizer.write(dir, c.vocabSize(), RandomModel.SPECIALS);
        Path gguf = parent.resolve(name.toLowerCase() + ".gguf");
        try (ModelFiles model = ModelFiles.open(dir)) {
            GgufExport.write(model, gguf, dtype);
        }
        return new Fixture(name, c, dir, gguf);
    }

    private static Weights scaled(Weights w, String name, double factor) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String n : w.names()) tensors.put(n, w.get(n));
        Tensor t = w.get(name);
        float[] v = t.toFloats();
        for (int i = 0; i < v.length; i++) v[i] *= (float) factor;
        tensors.put(name, Tensor.of(name, t.dtype(), v, t.shape()));
        return TestModels.of(tensors);
    }
}
