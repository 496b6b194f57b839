package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Broken or unsupported tokenizer sources fail with one message that names the file or key and the problem. */
class BadInputTest {
    /** A tiny valid byte-level-free BPE: "a" + "b" merge into "ab". */
    private static final String TINY = """
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
             "added_tokens": [{"id": 3, "content": "<eos>", "special": true}]%s}""";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private Path tiny(String extraFields) throws IOException {
        return write("tokenizer.json", TINY.formatted(extraFields));
    }

    @Test
    void aTinyValidTokenizerWorks() throws IOException {
        Tokenizer t = Tokenizer.load(tiny(""));
        assertThat(t.encode("abba<eos>")).containsExactly(2, 1, 0, 3);
        assertThat(t.decode(new int[] {2, 1, 0, 3})).isEqualTo("abba<eos>");
        assertThat(t.vocabSize()).isEqualTo(4);
    }

    @Test
    void missingTokenizerJson() {
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(dir.resolve("tokenizer.json").toString())
                .hasMessageContaining("no tokenizer.json");
    }

    @Test
    void invalidJson() throws IOException {
        Path file = write("tokenizer.json", "{\"model\": ");
        assertThatThrownBy(() -> Tokenizer.load(file))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void unsupportedModelType() throws IOException {
        Path file = write("tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
        loadFails(file, file + ": model.type: 'Unigram' is not supported (only BPE)");
    }

    @Test
    void mergeOfUnknownTokens() throws IOException {
        Path file = write(
                "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a z\"]}}");
        loadFailsStartingWith(file, file + ": model.merges[0]: 'a' + 'z'");
    }

    /**
     * A part of an otherwise valid tokenizer.json that Veil does not run: the case, the fields added, the message after
     * "PATH: " (whole, or its start where it ends in "...").
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " | ", quoteCharacter = '`', textBlock = """
            unsupported pre-tokenizer | , "pre_tokenizer": {"type": "Metaspace"} | pre_tokenizer: pre-tokenizer type 'Metaspace' is not supported
            regex Java cannot compile | , "pre_tokenizer": {"type": "Split", "behavior": "Isolated", "pattern": {"Regex": "\\\\p{NoSuchClass}"}} | pre_tokenizer.pattern: pre-tokenizer regex does not compile in Java...
            unsupported decoder       | , "decoder": {"type": "WordPiece"} | decoder: decoder type 'WordPiece' is not supported
            """)
    void unsupportedPart(String name, String extraFields, String message) throws IOException {
        Path file = tiny(extraFields);
        if (message.endsWith("..."))
            loadFailsStartingWith(file, file + ": " + message.substring(0, message.length() - 3));
        else loadFails(file, file + ": " + message);
    }

    @Test
    void addBosWithoutABosToken() throws IOException {
        tiny("");
        write("tokenizer_config.json", "{\"add_bos_token\": true, \"bos_token\": \"<s>\"}");
        loadFails(
                dir,
                dir.resolve("tokenizer_config.json")
                        + ": add_bos_token is set but the token '<s>' is not in the vocabulary");
    }

    @Test
    void aGgufFileWithoutVocabularyNamesTheFile() throws IOException {
        // a minimal GGUF v3: magic, version, no tensors, one key general.architecture = "llama"
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46554747).putInt(3).putLong(0).putLong(1);
        byte[] key = "general.architecture".getBytes(), value = "llama".getBytes();
        b.putLong(key.length).put(key).putInt(8).putLong(value.length).put(value);
        Path file = dir.resolve("model.gguf");
        Files.write(file, Arrays.copyOf(b.array(), b.position()));
        loadFails(file, file + ": GGUF tokenizer.ggml.model: missing: this GGUF has no vocabulary");
    }

    @Test
    void ggufWithoutVocabulary() {
        ggufFails(
                Map.of("general.architecture", "llama"),
                "GGUF tokenizer.ggml.model: missing: this GGUF has no vocabulary");
    }

    @Test
    void ggufWithAnUnsupportedModel() {
        ggufFails(
                Map.of("tokenizer.ggml.model", "bert"),
                "GGUF tokenizer.ggml.model: 'bert' is not supported (llama = SentencePiece, gpt2 = BPE)");
    }

    @Test
    void ggufWithAnUnsupportedPreTokenizer() {
        Map<String, Object> meta = bpe();
        meta.put("tokenizer.ggml.pre", "falcon");
        assertThatThrownBy(() -> Tokenizer.fromGguf(meta))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("GGUF tokenizer.ggml.pre: 'falcon' is not supported");
    }

    @Test
    void ggufWithABosIdOutsideTheVocabulary() {
        Map<String, Object> meta = bpe();
        meta.put("tokenizer.ggml.bos_token_id", 7L);
        ggufFails(meta, "GGUF tokenizer.ggml.bos_token_id: 7 is outside the vocabulary of 3 tokens");
    }

    @Test
    void ggufWithTokensOfTheWrongType() {
        Map<String, Object> meta = bpe();
        meta.put("tokenizer.ggml.tokens", new int[] {1, 2});
        ggufFails(meta, "GGUF tokenizer.ggml.tokens: expected an array of strings, got int[]");
    }

    @Test
    void aTinyGgufBpeWorks() {
        Tokenizer t = Tokenizer.fromGguf(bpe());
        assertThat(t.encode("ab a"))
                .containsExactly(2, 0); // " a" has no token: the space byte is dropped, as llama.cpp does
    }

    private static Map<String, Object> bpe() {
        Map<String, Object> meta = new HashMap<>();
        meta.put("tokenizer.ggml.model", "gpt2");
        meta.put("tokenizer.ggml.pre", "gpt-2");
        meta.put("tokenizer.ggml.tokens", List.of("a", "b", "ab"));
        meta.put("tokenizer.ggml.token_type", new int[] {1, 1, 1});
        meta.put("tokenizer.ggml.merges", List.of("a b"));
        return meta;
    }

    private static void loadFails(Path file, String message) {
        assertThatThrownBy(() -> Tokenizer.load(file))
                .isInstanceOf(IOException.class)
                .hasMessage(message);
    }

    private static void loadFailsStartingWith(Path file, String prefix) {
        assertThatThrownBy(() -> Tokenizer.load(file))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(prefix);
    }

    private static void ggufFails(Map<String, Object> metadata, String message) {
        assertThatThrownBy(() -> Tokenizer.fromGguf(metadata))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
