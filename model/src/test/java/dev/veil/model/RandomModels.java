package dev.veil.model;

import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelConfig.RopeScaling;
import dev.veil.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/** Small random-weight models in the real Hugging Face layout, for format tests; random test inputs. */
public final class RandomModels {
    private RandomModels() {}

    /** Llama: GQA (4 heads, 2 kv), untied, llama3 rope scaling. */
    public static ModelConfig llama() {
        return ModelConfig.of(Architecture.LLAMA, 300, 32, 48, 2, 4, 2, 8)
                .withNorm(1e-5, 500000.0, new RopeScaling(8.0, 1.0, 4.0, 64))
                .withTokens(128, false, false, 1, List.of(2));
    }

    /** Qwen2: q/k/v bias, tied embeddings, head_dim 12 != hidden/heads = 8 (as AloePri's widened models have). */
    public static ModelConfig qwen2() {
        return ModelConfig.of(Architecture.QWEN2, 280, 32, 40, 2, 4, 2, 12)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(256, true, true, -1, List.of(5, 7));
    }

    /** Qwen3: q_norm/k_norm, no bias, untied, head_dim 12 with hidden 32 and 4 heads. */
    public static ModelConfig qwen3() {
        return ModelConfig.of(Architecture.QWEN3, 280, 32, 40, 2, 4, 2, 12)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(256, false, false, -1, List.of(5));
    }

    /** Qwen3-MoE: 4 experts of width 20, 2 per token, every layer sparse (as llama.cpp's qwen3moe requires), tied. */
    public static ModelConfig qwen3Moe() {
        var experts = new ModelConfig.Moe(4, 2, 20, true, 1, List.of());
        return ModelConfig.of(Architecture.QWEN3_MOE, 280, 32, 40, 2, 4, 2, 12, experts)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(256, true, false, -1, List.of(5));
    }

    /**
     * {@code n} floats from N(0, 1), drawn by a {@link SplittableRandom} seeded {@code seed}: the input of the kernel and
     * quantizer tests here and in the engine.
     */
    public static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Random weights named and shaped as {@code c} requires, stored as {@code dtype}. */
    public static List<Tensor> weights(ModelConfig c, DType dtype, long seed) {
        RandomModel.Init init = (name, shape) -> name.endsWith("norm.weight")
                ? r -> 1 + 0.1f * (float) r.nextGaussian()
                : r -> 0.2f * (float) r.nextGaussian();
        return List.copyOf(RandomModel.tensors(c, dtype, new Random(seed), init).values());
    }

    /** Writes config.json + model.safetensors (+ generation_config.json) of a random model into {@code dir}. */
    public static Path writeHf(Path dir, ModelConfig c, DType dtype, long seed) throws IOException {
        Files.createDirectories(dir);
        c.write(dir);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), weights(c, dtype, seed), Map.of("format", "pt"));
        return dir;
    }

    /** A small byte-level BPE tokenizer.json whose pre-tokenizer is Llama 3's, with two special tokens. */
    public static String tokenizerJson(int vocabSize) {
        char[] bytes = ByteLevelBpe.byteChars();
        StringBuilder vocab = new StringBuilder();
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < 256; i++) ids.put(String.valueOf(bytes[i]), i);
        List<String> merges = List.of("Ġ t", "h e", "Ġt he", "i n");
        for (String m : merges) ids.put(m.replace(" ", ""), ids.size());
        Set<String> seen = new HashSet<>();
        ids.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> {
            if (!seen.add(e.getKey())) return;
            if (!vocab.isEmpty()) vocab.append(',');
            vocab.append('"').append(escape(e.getKey())).append("\":").append(e.getValue());
        });
        int bos = vocabSize - 2, eos = vocabSize - 1;
        return """
                {"version":"1.0","added_tokens":[
                 {"id":%d,"content":"<|begin_of_text|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                 {"id":%d,"content":"<|end_of_text|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
                 "normalizer":null,
                 "pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]},
                 "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{}},
                 "decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
                 "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":true,
                  "vocab":{%s},"merges":[%s]}}
                """.formatted(
                bos,
                eos,
                vocab,
                String.join(",", merges.stream().map(m -> "\"" + m + "\"").toList()));
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20 || ch > 0x7e) b.append(String.format("\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.toString();
    }
}
