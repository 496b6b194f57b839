package dev.veil.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.ByteLevelBpe;
import dev.veil.model.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GGUF reader on llama.cpp's real vocab-only GGUFs. Expected values come from sources Veil did not write:
 * the npm tokenizer.json files of the same vocabularies, and llama.cpp's own .inp/.out tokenizer test vectors
 * (decoding the expected ids through the tokens we read must give back the input text).
 */
class GgufVocabFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What every vocab-only GGUF states alike: GGUF version 3, no tensors, its architecture. */
    @ParameterizedTest
    @CsvSource({"llama-bpe, llama", "qwen2, qwen2", "gpt-2, gpt2"})
    void vocabOnlyHeader(String vocab, String architecture) throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.vocabGguf(vocab))) {
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.tensors()).isEmpty();
            assertThat(g.getString("general.architecture")).isEqualTo(architecture);
        }
    }

    @Test
    void llama3BpeVocabMatchesItsTokenizerJson() throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.vocabGguf("llama-bpe"))) {
            assertThat(g.getString("general.name")).isEqualTo("llama-bpe");
            assertThat(g.getString("tokenizer.ggml.model")).isEqualTo("gpt2");
            assertThat(g.getString("tokenizer.ggml.pre")).isEqualTo("llama-bpe");
            assertThat(g.metadata().get("llama.attention.head_count_kv")).isEqualTo(8L);
            assertThat(g.type("llama.attention.head_count_kv")).isEqualTo(GgufValueType.UINT32);
            assertThat(g.getFloat("llama.rope.freq_base", 0)).isEqualTo(500000f);

            JsonNode tj = JSON.readTree(Fixtures.tokenizerJson("llama3").toFile());
            List<String> tokens = g.getStringList("tokenizer.ggml.tokens");
            assertThat(tokens).isEqualTo(vocabOf(tj, tokens.size()));
            assertThat(g.getStringList("tokenizer.ggml.merges")).isEqualTo(mergesOf(tj));
            assertThat(g.getIntArray("tokenizer.ggml.token_type")).hasSize(tokens.size());
            assertThat(tokens.get(g.getInt("tokenizer.ggml.bos_token_id"))).isEqualTo("<|begin_of_text|>");
            assertThat(tokens.get(g.getInt("tokenizer.ggml.eos_token_id"))).isEqualTo("<|end_of_text|>");
        }
    }

    @Test
    void qwen2VocabMatchesQwenTokenizerJson() throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.vocabGguf("qwen2"))) {
            assertThat(g.getString("tokenizer.ggml.pre")).isEqualTo("qwen2");
            assertThat(g.getFloat("qwen2.rope.freq_base", 0)).isEqualTo(1_000_000f);
            assertThat(g.getString("tokenizer.chat_template")).contains("<|im_start|>");

            // Qwen3's tokenizer.json shares Qwen2's byte-level vocabulary and merges and its first special tokens;
            // the GGUF pads the rest of the 151936-row embedding with [PADn] tokens.
            JsonNode tj = JSON.readTree(Fixtures.tokenizerJson("qwen3").toFile());
            List<String> tokens = g.getStringList("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(151936);
            assertThat(tokens.subList(0, 151646)).isEqualTo(vocabOf(tj, 151646));
            assertThat(tokens.get(151935)).isEqualTo("[PAD151935]");
            assertThat(g.getStringList("tokenizer.ggml.merges")).isEqualTo(mergesOf(tj));
            assertThat(tokens.get(g.getInt("tokenizer.ggml.eos_token_id"))).isEqualTo("<|endoftext|>");
        }
    }

    @Test
    void llamaSpmVocabHasScoresTypesAndFlags() throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.vocabGguf("llama-spm"))) {
            assertThat(g.getString("tokenizer.ggml.model")).isEqualTo("llama");
            List<String> tokens = g.getStringList("tokenizer.ggml.tokens");
            JsonNode tj = JSON.readTree(Fixtures.tokenizerJson("llama2").toFile());
            assertThat(tokens).hasSize(tj.path("model").path("vocab").size());
            // special tokens and the 256 <0xXX> byte tokens agree with Llama 2's tokenizer.json
            assertThat(tokens.subList(0, 259)).isEqualTo(vocabOf(tj, 259));
            assertThat(g.getFloatArray("tokenizer.ggml.scores")).hasSize(tokens.size());
            assertThat(g.getIntArray("tokenizer.ggml.token_type")).hasSize(tokens.size());
            assertThat(g.getInt("tokenizer.ggml.bos_token_id"))
                    .isEqualTo(tj.at("/added_tokens/1/id").asInt());
            assertThat(tokens.get(g.getInt("tokenizer.ggml.eos_token_id"))).isEqualTo("</s>");
            assertThat(tokens.get(g.getInt("tokenizer.ggml.unknown_token_id"))).isEqualTo("<unk>");
            assertThat(g.getBoolean("tokenizer.ggml.add_bos_token", false)).isTrue();
            assertThat(g.getBoolean("tokenizer.ggml.add_eos_token", true)).isFalse();
        }
    }

    /** llama.cpp's expected ids, turned back into text through the tokens we read, give its input text. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt-2", "qwen2", "llama-bpe"})
    void byteLevelTokensDecodeLlamaCppTestVectors(String vocab) throws IOException {
        Path gguf = Fixtures.vocabGguf(vocab);
        try (GgufFile g = GgufFile.open(gguf)) {
            List<String> tokens = g.getStringList("tokenizer.ggml.tokens");
            Map<Integer, Integer> byteOf = byteLevelDecoder();
            List<Fixtures.VocabCase> cases = Fixtures.vocabTestVectors(vocab);
            assertThat(cases).hasSizeGreaterThan(30);
            for (int i = 0; i < cases.size(); i++) {
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                for (int id : cases.get(i).ids()) tokens.get(id).codePoints().forEach(c -> text.write(byteOf.get(c)));
                assertThat(text.toString(StandardCharsets.UTF_8))
                        .as("test vector %d of %s", i, vocab)
                        .isEqualTo(cases.get(i).text());
            }
        }
    }

    @Test
    void gpt2VocabTokensMergesAndBos() throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.vocabGguf("gpt-2"))) {
            assertThat(g.getStringList("tokenizer.ggml.tokens")).hasSize(50257);
            assertThat(g.getStringList("tokenizer.ggml.merges")).hasSize(50000).startsWith("Ġ t");
            assertThat(g.getInt("tokenizer.ggml.bos_token_id")).isEqualTo(50256);
            assertThat(g.getStringList("tokenizer.ggml.tokens").get(50256)).isEqualTo("<|endoftext|>");
        }
    }

    /** The vocabulary of a tokenizer.json as a list by id: model.vocab plus added_tokens. */
    static List<String> vocabOf(JsonNode tokenizerJson, int size) {
        String[] byId = new String[size];
        tokenizerJson.path("model").path("vocab").properties().forEach(e -> {
            int id = e.getValue().asInt();
            if (id < size) byId[id] = e.getKey();
        });
        for (JsonNode a : tokenizerJson.path("added_tokens"))
            if (a.path("id").asInt() < size)
                byId[a.path("id").asInt()] = a.path("content").asText();
        return List.of(byId);
    }

    static List<String> mergesOf(JsonNode tokenizerJson) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : tokenizerJson.path("model").path("merges"))
            out.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        return out;
    }

    /** GPT-2's bytes_to_unicode, inverted: printable char -> byte. */
    static Map<Integer, Integer> byteLevelDecoder() {
        Map<Integer, Integer> map = new HashMap<>();
        char[] chars = ByteLevelBpe.byteChars();
        for (int b = 0; b < 256; b++) map.put((int) chars[b], b);
        return map;
    }
}
