package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Hugging Face's tokenizers library (through DJL) as the reference Veil's tokenizer is compared with. */
final class HuggingFaceReference {

    private HuggingFaceReference() {}

    /** Veil encodes every text of {@code texts} to the ids Hugging Face gives, with {@code file} loaded by both. */
    static void assertSameIds(Path file, List<String> texts) throws IOException {
        Tokenizer veil = Tokenizer.load(file);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                .optTokenizerPath(file)
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .build()) {
            for (String text : texts) {
                int[] expected = Arrays.stream(hf.encode(text).getIds())
                        .mapToInt(Math::toIntExact)
                        .toArray();
                assertThat(veil.encode(text)).as(text).containsExactly(expected);
            }
        }
    }
}
