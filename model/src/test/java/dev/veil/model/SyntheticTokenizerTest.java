package dev.veil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void writesACompleteByteLevelBpeVocabularyOfExactlyTheRequestedSize() throws Exception {
        SyntheticTokenizer.write(dir, 1000, List.of("<|bos|>", "<|eos|>"));
        JsonNode tj = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
        JsonNode vocab = tj.path("model").path("vocab");
        assertThat(vocab.size()).isEqualTo(998);
        Set<Integer> ids = new HashSet<>();
        vocab.properties().forEach(e -> ids.add(e.getValue().asInt()));
        assertThat(ids).hasSize(998).allMatch(i -> i >= 0 && i < 998);
        assertThat(tj.path("added_tokens").get(0).path("id").asInt()).isEqualTo(998);
        assertThat(tj.path("added_tokens").get(1).path("content").asText()).isEqualTo("<|eos|>");
        // every byte has a token, and every merge joins two existing tokens into a third
        for (String b : SyntheticTokenizer.byteAlphabet())
            assertThat(vocab.has(b)).as("byte token %s", b).isTrue();
        assertThat(tj.path("model").path("merges").size()).isEqualTo(998 - 256);
        for (JsonNode m : tj.path("model").path("merges")) {
            String[] parts = m.asText().split(" ");
            assertThat(parts).hasSize(2);
            assertThat(vocab.has(parts[0]) && vocab.has(parts[1]) && vocab.has(parts[0] + parts[1]))
                    .as(m.asText())
                    .isTrue();
        }
    }

    @Test
    void byteAlphabetIsGpt2s() {
        List<String> a = SyntheticTokenizer.byteAlphabet();
        assertThat(a).hasSize(256).doesNotHaveDuplicates();
        assertThat(a.get('A')).isEqualTo("A");
        assertThat(a.get(' ')).isEqualTo("Ġ"); // GPT-2 maps the space byte to U+0120
        assertThat(a.get('\n')).isEqualTo("Ċ");
    }

    @Test
    void tooSmallAVocabularyIsRefused() {
        assertThatThrownBy(() -> SyntheticTokenizer.write(dir, 257, List.of("<|bos|>", "<|eos|>")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocab_size 257");
    }
}
