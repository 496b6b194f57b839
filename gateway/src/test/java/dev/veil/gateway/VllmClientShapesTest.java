package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.veil.engine.SamplingParams;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The upstream client against vLLM's request and response shapes (examples in test resources vllm/, written after
 * vLLM's protocol and serving code; see vllm/README.md), replayed by a stub server on loopback.
 */
class VllmClientShapesTest extends ReplayedUpstreamTest {

    VllmClientShapesTest() {
        super("vllm");
    }

    @BeforeEach
    void start() throws IOException {
        stub = StubUpstream.start(Map.of(
                "/v1/models", e -> StubUpstream.reply(e, 200, resource("models.json")), "/v1/completions", e -> {
                    StubUpstream.record(requests, e);
                    e.getResponseHeaders()
                            .set("Content-Type", reply.endsWith(".sse") ? "text/event-stream" : "application/json");
                    StubUpstream.reply(e, status, resource(reply));
                }));
    }

    VllmClient client() throws UpstreamException {
        return VllmClient.connect(StubUpstream.uri(stub), null, VllmClient.Timeouts.defaults());
    }

    static final VllmClient.Params PARAMS = new VllmClient.Params(64, 0.7, 0.9, 40, 7L, Set.of(151645, 151643));

    @Test
    void theModelAndContextLengthComeFromV1Models() throws Exception {
        try (VllmClient c = client()) {
            assertThat(c.model()).isEqualTo("/models/obfuscated");
            assertThat(c.contextLength()).isEqualTo(512);
        }
    }

    @Test
    void theRequestIsVllmsTokenIdCompletionRequest() throws Exception {
        reply = "stream-stop-token.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {151644, 872, 198, 9707, 151645}, PARAMS)) {
            drain(s);
        }
        assertThat(requests.getFirst()).isEqualTo(VllmClient.JSON.readTree(resource("completion-request.json")));
    }

    @Test
    void penaltiesAndMinPGoInVllmsNamesOnlyWhenOn() throws Exception {
        try (VllmClient c = client()) {
            var on = c.requestBody(
                    new int[] {1},
                    new VllmClient.Params(8, new SamplingParams(0, 0, 1, 0, 0.05, 1.3, 0.5, -0.25), false, Set.of()));
            assertThat(on.get("min_p").asDouble()).isEqualTo(0.05);
            assertThat(on.get("repetition_penalty").asDouble()).isEqualTo(1.3);
            assertThat(on.get("presence_penalty").asDouble()).isEqualTo(0.5);
            assertThat(on.get("frequency_penalty").asDouble()).isEqualTo(-0.25);
            var off = c.requestBody(new int[] {1}, PARAMS);
            for (String field : new String[] {"min_p", "repetition_penalty", "presence_penalty", "frequency_penalty"})
                assertThat(off.has(field)).as(field).isFalse();
        }
    }

    @Test
    void idsAcrossChunksIncludingMultiIdChunksAndTheStopId() throws Exception {
        reply = "stream-stop-token.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {1}, PARAMS)) {
            assertThat(drain(s)).containsExactly(40, 1079, 264, 151645);
            assertThat(s.finishReason()).isEqualTo("stop");
        }
    }

    @Test
    void aFinishReasonInAChunkWithoutIds() throws Exception {
        reply = "stream-length-finish-apart.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {1, 2, 3}, PARAMS)) {
            assertThat(drain(s)).containsExactly(7, 8);
            assertThat(s.finishReason()).isEqualTo("length");
        }
    }

    @Test
    void anErrorEventMidStream() throws Exception {
        reply = "stream-error.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {1}, PARAMS)) {
            assertThat(s.next()).isEqualTo(4);
            var e = catchThrowableOfType(UpstreamException.class, s::next);
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.getMessage()).contains("failed mid-stream", "The engine is dead.");
        }
    }

    @Test
    void textWithoutTokenIdsNamesTheMissingVllmFlags() throws Exception {
        reply = "stream-text-without-ids.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {1}, PARAMS)) {
            var e = catchThrowableOfType(UpstreamException.class, s::next);
            assertThat(e.getMessage()).contains("--skip-tokenizer-init", "return_token_ids");
        }
    }

    /** vLLM's refusal (a reply file and its HTTP status): the status the gateway maps it to, what the message keeps. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "error-context.json, 400, 400, maximum context length is 512 tokens",
        "error-old-shape.json, 404, 502, does not exist"
    })
    void refusalsKeepVllmsMessageAndMapTheStatus(String file, int upstreamStatus, int mapped, String says)
            throws Exception {
        reply = file;
        status = upstreamStatus;
        try (VllmClient c = client()) {
            var e = catchThrowableOfType(UpstreamException.class, () -> c.stream(new int[] {1}, PARAMS));
            assertThat(e.status()).isEqualTo(mapped);
            assertThat(e.getMessage()).contains("HTTP " + upstreamStatus, says);
        }
    }

    @Test
    void aNamedModelMustBeServed() {
        var e = catchThrowableOfType(
                UpstreamException.class,
                () -> VllmClient.connect(StubUpstream.uri(stub), "other", VllmClient.Timeouts.defaults()));
        assertThat(e.getMessage()).contains("does not serve a model named other");
    }
}
