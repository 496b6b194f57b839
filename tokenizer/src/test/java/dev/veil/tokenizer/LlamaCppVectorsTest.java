package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.Fixtures;
import dev.veil.model.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp's tokenizer test vectors (tests/test-tokenizer-0.cpp): each .inp holds texts separated by
 * "\n__ggml_vocab_test__\n", each line of .out the ids llama.cpp must produce for it from the vocab-only GGUF,
 * with add_special = false and parse_special = false.
 */
class LlamaCppVectorsTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2"})
    void idsMatchLlamaCpp(String vocab) throws IOException {
        Path gguf = Fixtures.vocabGguf(vocab);
        Tokenizer tokenizer;
        try (GgufFile file = GgufFile.open(gguf)) {
            tokenizer = Tokenizer.fromGguf(file.metadata());
        }
        List<Fixtures.VocabCase> cases = Fixtures.vocabTestVectors(vocab);
        assertThat(cases).hasSizeGreaterThan(20);
        List<String> failures = new ArrayList<>();
        for (Fixtures.VocabCase c : cases) {
            int[] ids = tokenizer.encode(c.text(), false, false);
            if (!Arrays.equals(ids, c.ids()))
                failures.add("'" + c.text() + "'\n  expected " + Arrays.toString(c.ids()) + "\n  got      "
                        + Arrays.toString(ids));
            else if (!tokenizer.decode(ids).equals(c.text()))
                failures.add("'" + c.text() + "' decodes to '" + tokenizer.decode(ids) + "'");
        }
        assertThat(failures)
                .as(vocab + ": texts tokenized unlike llama.cpp, or not decoded back")
                .isEmpty();
    }
}
