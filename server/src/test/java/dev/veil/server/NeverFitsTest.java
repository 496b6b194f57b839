package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.engine.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 16: a request that can never be served is a 400 (retrying cannot help), not the 429 a busy server gives. */
class NeverFitsTest {

    @Test
    void morePromptsThanTheServerEverHoldsIs400AndAFittingRequestStillRuns() throws Exception {
        try (InferenceServer server = TestServers.start(
                TestServers.model(TestModels.llama(), 5),
                List.of(2),
                TestServers.options("tiny").withLimits(1, 1))) {
            var uri = server.uri().resolve("/v1/completions");
            var response = TestHttp.post(uri, "{\"prompt\": [[1], [2], [3]], \"max_tokens\": 1}");
            assertThat(response.status()).as(response.body()).isEqualTo(400);
            JsonNode error = response.json().get("error");
            assertThat(error.get("message").asText())
                    .isEqualTo("the request has 3 prompts; this server holds at most 2 sequences");
            assertThat(error.get("param").asText()).isEqualTo("prompt");
            var tooLong = TestHttp.post(uri, "{\"prompt\": [1, 2], \"max_tokens\": 255}"); // the context: 400 too
            assertThat(tooLong.status()).isEqualTo(400);
            var fits = TestHttp.post(uri, "{\"prompt\": [[1], [2]], \"max_tokens\": 1}");
            assertThat(fits.status()).as(fits.body()).isEqualTo(200);
            assertThat(fits.json().get("choices")).hasSize(2);
        }
    }
}
