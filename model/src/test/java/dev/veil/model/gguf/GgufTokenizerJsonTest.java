package dev.veil.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenizer.json rebuilt from llama.cpp's vocab GGUFs, compared with the tokenizer.json the model makers ship
 * (npm fixtures): same vocabulary, merges, special tokens and pre-tokenizer regex.
 */
class GgufTokenizerJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void llama3FromLlamaCppVocabEqualsMetasTokenizerJson() throws IOException {
        JsonNode ours = rebuild("llama-bpe");
        JsonNode theirs = JSON.readTree(Fixtures.tokenizerJson("llama3").toFile());
        assertSameVocabulary(ours, theirs);
        assertThat(added(ours)).isEqualTo(added(theirs));
        assertThat(ours.at("/model/ignore_merges").asBoolean())
                .isEqualTo(theirs.at("/model/ignore_merges").asBoolean());
        assertThat(ours.at("/post_processor/single/0/SpecialToken/id").asText()).isEqualTo("<|begin_of_text|>");
    }

    @Test
    void qwen2FromLlamaCppVocabAgreesWithQwensTokenizerJson() throws IOException {
        JsonNode ours = rebuild("qwen2");
        JsonNode theirs = JSON.readTree(Fixtures.tokenizerJson("qwen3").toFile());
        assertSameVocabulary(ours, theirs);
        assertThat(added(ours).subList(0, 3))
                .isEqualTo(added(theirs).subList(0, 3)); // <|endoftext|>, <|im_start|>, <|im_end|>
        assertThat(ours.at("/normalizer/type").asText()).isEqualTo("NFC");
    }

    @Test
    void spmAndSyntheticVocabulariesAreNotConverted() throws IOException {
        try (GgufFile g = GgufFile.open(Fixtures.vocabGguf("llama-spm"))) {
            assertThat(GgufTokenizerJson.write(g, tmp.resolve("spm"))).isFalse();
        }
        assertThat(tmp.resolve("spm")).doesNotExist();
    }

    private JsonNode rebuild(String vocab) throws IOException {
        Path dir = tmp.resolve(vocab);
        try (GgufFile g = GgufFile.open(Fixtures.vocabGguf(vocab))) {
            assertThat(GgufTokenizerJson.write(g, dir)).isTrue();
        }
        return JSON.readTree(dir.resolve("tokenizer.json").toFile());
    }

    /** What a rebuilt tokenizer.json must share with the model's own: vocabulary, merges, pre-tokenizer regex. */
    private static void assertSameVocabulary(JsonNode ours, JsonNode theirs) {
        assertThat(vocab(ours)).isEqualTo(vocab(theirs));
        assertThat(GgufVocabFilesTest.mergesOf(ours)).isEqualTo(GgufVocabFilesTest.mergesOf(theirs));
        assertThat(regex(ours)).isEqualTo(regex(theirs));
    }

    private static Map<String, Integer> vocab(JsonNode tj) {
        Map<String, Integer> m = new HashMap<>();
        tj.at("/model/vocab")
                .properties()
                .forEach(e -> m.put(e.getKey(), e.getValue().asInt()));
        return m;
    }

    private static List<String> added(JsonNode tj) {
        List<String> out = new ArrayList<>();
        for (JsonNode a : tj.path("added_tokens"))
            out.add(a.path("id").asInt() + " " + a.path("content").asText() + " "
                    + a.path("special").asBoolean());
        return out;
    }

    private static String regex(JsonNode tj) {
        for (JsonNode p : tj.at("/pre_tokenizer/pretokenizers"))
            if (p.path("type").asText().equals("Split"))
                return p.at("/pattern/Regex").asText();
        return null;
    }
}
