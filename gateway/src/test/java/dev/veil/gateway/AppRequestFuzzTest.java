package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Fuzz target for the gateway's OpenAI request parser ({@link AppRequest#chat}, {@link AppRequest#completion}) on the
 * bundled model's real tokenizer and chat template: any JSON body either gives a request with a non-empty prompt of
 * in-vocabulary ids, or a {@link GatewayError} with a 4xx status — never another exception, an error or a hang.
 */
class AppRequestFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Tokenizer TOKENIZER = load();
    private static final ChatTemplate TEMPLATE = TOKENIZER.chatTemplate().orElseThrow();

    private static Tokenizer load() {
        try {
            return Tokenizer.load(Path.of(System.getProperty("veil.repo", ".."), "models", "veil-sotu-qwen2"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "2m")
    void chat(byte[] data) throws IOException {
        JsonNode body = json(data);
        if (body == null) return;
        try {
            check(AppRequest.chat(body, "veil-test", TOKENIZER, TEMPLATE));
        } catch (GatewayError e) {
            assertThat(e.status()).isBetween(400, 499);
        }
    }

    @FuzzTest(maxDuration = "2m")
    void completion(byte[] data) throws IOException {
        JsonNode body = json(data);
        if (body == null) return;
        try {
            check(AppRequest.completion(body, "veil-test", TOKENIZER));
        } catch (GatewayError e) {
            assertThat(e.status()).isBetween(400, 499);
        }
    }

    private static JsonNode json(byte[] data) throws IOException {
        try {
            return JSON.readTree(data);
        } catch (JacksonException
                | CharConversionException e) { // what the HTTP layer answers with 400 "not valid JSON"
            return null; // not JSON: the HTTP layer's 400, not the parser's input
        }
    }

    private static void check(AppRequest r) {
        assertThat(r.promptIds()).isNotEmpty();
        for (int id : r.promptIds()) assertThat(id).isBetween(0, TOKENIZER.vocabSize() - 1);
        if (r.maxTokens() != null) assertThat(r.maxTokens()).isPositive();
        assertThat(r.stop()).hasSizeLessThanOrEqualTo(4).doesNotContain("");
    }
}
