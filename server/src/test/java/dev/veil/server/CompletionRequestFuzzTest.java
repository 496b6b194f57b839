package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.CharConversionException;
import java.io.IOException;

/**
 * Fuzz target for the token server's request parser ({@link CompletionRequest#parse}), as its HTTP layer calls it
 * on a body that is JSON: either a request within the model's vocabulary and context, or an {@link ApiException}
 * with a 4xx status — never another exception, an error or a hang.
 */
class CompletionRequestFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int VOCAB = 4096, CONTEXT = 256;

    @FuzzTest(maxDuration = "2m")
    void parseAnyBody(byte[] data) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(data);
        } catch (JacksonException
                | CharConversionException e) { // what the HTTP layer answers with 400 "not valid JSON"
            return; // not JSON: the HTTP layer's 400, not the parser's input
        }
        CompletionRequest r;
        try {
            r = CompletionRequest.parse(body, "veil-test", VOCAB, CONTEXT);
        } catch (ApiException e) {
            assertThat(e.status()).isBetween(400, 499);
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(r.maxTokens()).isPositive();
        for (int[] p : r.prompts()) {
            assertThat((long) p.length + r.maxTokens()).isLessThanOrEqualTo(CONTEXT);
            for (int id : p) assertThat(id).isBetween(0, VOCAB - 1);
        }
    }
}
