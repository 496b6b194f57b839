package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.model.FuzzFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target for the tokenizer.json loader: any bytes either load a tokenizer that encodes and decodes a short text
 * with special tokens, or fail with an IOException naming the file — never a runtime exception, an error or a hang
 * (a pre-tokenizer regex from the file included).
 */
class TokenizerJsonFuzzTest {
    private static final Path DIR = FuzzFiles.tempDir("fuzz-tokenizer");

    @FuzzTest(maxDuration = "2m")
    void loadAnyTokenizerJson(byte[] data) throws IOException {
        Path file = DIR.resolve("tokenizer.json");
        Files.write(file, data);
        Tokenizer t;
        try {
            t = Tokenizer.load(DIR);
        } catch (IOException e) {
            assertThat(e.getMessage()).contains(file.toString());
            return;
        }
        int[] ids = t.encode("Hello <|im_start|> wörld 123\n\t 𝄞", true, true);
        for (int id : ids) assertThat(id).isBetween(0, t.vocabSize() - 1);
        assertThat(t.decode(ids)).isNotNull();
    }
}
