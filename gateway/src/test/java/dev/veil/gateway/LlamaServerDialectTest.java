package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.engine.SamplingParams;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The upstream client in llama-server's dialect, against responses recorded from the stock llama-server that
 * scripts/build-llama.sh builds (test resources llama-server/, see its README), replayed by a stub on loopback. The
 * real server itself is exercised end to end by the bench module's LlamaServerEndToEndTest.
 */
class LlamaServerDialectTest extends ReplayedUpstreamTest {

    volatile boolean closedEarly;
    /** After the recorded events, keep the stream open with SSE comments (as a server still generating would). */
    volatile boolean linger;

    LlamaServerDialectTest() {
        super("llama-server");
    }

    @BeforeEach
    void start() throws IOException {
        stub = StubUpstream.start(Map.of(
                "/props",
                e -> StubUpstream.reply(e, 200, resource("props.json")),
                "/v1/models",
                e -> StubUpstream.reply(e, 200, resource("models.json")),
                "/completion",
                e -> {
                    StubUpstream.record(requests, e);
                    byte[] b = resource(reply);
                    e.getResponseHeaders()
                            .set("Content-Type", reply.endsWith(".sse") ? "text/event-stream" : "application/json");
                    e.sendResponseHeaders(status, 0);
                    try {
                        for (String event : new String(b, StandardCharsets.UTF_8).split("(?<=\n\n)")) {
                            e.getResponseBody().write(event.getBytes(StandardCharsets.UTF_8));
                            e.getResponseBody().flush();
                            Thread.sleep(5);
                        }
                        for (long end = System.nanoTime() + 10_000_000_000L;
                                linger && System.nanoTime() < end;
                                Thread.sleep(5)) {
                            e.getResponseBody().write(": still generating\n\n".getBytes(StandardCharsets.UTF_8));
                            e.getResponseBody().flush();
                        }
                    } catch (IOException | InterruptedException gone) {
                        closedEarly = true; // the client hung up before the end
                    }
                    e.close();
                }));
    }

    URI base() {
        return StubUpstream.uri(stub);
    }

    VllmClient client() throws UpstreamException {
        return VllmClient.connect(base(), null, VllmClient.Timeouts.defaults(), VllmClient.Kind.AUTO);
    }

    static final VllmClient.Params PARAMS = new VllmClient.Params(16, 0, 1, 0, null, Set.of(151645, 151643));

    @Test
    void autoFindsLlamaServerByItsPropsWithItsSlotContext() throws Exception {
        try (VllmClient c = client()) {
            assertThat(c.dialect().name()).isEqualTo("llama-server");
            assertThat(c.contextLength()).isEqualTo(256);
            assertThat(c.model()).isEqualTo("/tmp/h/sotu-obf.gguf");
        }
    }

    @Test
    void theRequestIsLlamaServersTokenCompletionWithTheWholeSamplerChainSpelledOut() throws Exception {
        reply = "stream-eos.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {151644, 872, 198, 9707}, PARAMS)) {
            drain(s);
        }
        assertThat(requests.getFirst()).isEqualTo(VllmClient.JSON.readTree(resource("completion-request.json")));
        try (VllmClient c = client()) {
            var seeded = c.requestBody(
                    new int[] {1},
                    new VllmClient.Params(
                            8, new SamplingParams(0.7, 40, 0.9, -1, 0.05, 1.3, 0.5, -0.25), true, Set.of()));
            assertThat(seeded.get("seed").asLong())
                    .as("a 32-bit seed that is never llama.cpp's 'random'")
                    .isEqualTo(0xFFFF_FFFEL);
            assertThat(seeded.get("repeat_penalty").asDouble()).isEqualTo(1.3);
            assertThat(seeded.get("repeat_last_n").asInt())
                    .as("the whole context, as vLLM")
                    .isEqualTo(256);
            assertThat(seeded.get("presence_penalty").asDouble()).isEqualTo(0.5);
            assertThat(seeded.get("frequency_penalty").asDouble()).isEqualTo(-0.25);
            assertThat(seeded.has("model")).isFalse();
            assertThat(seeded.has("stop_token_ids")).isFalse();
        }
    }

    @Test
    void idsStreamOneAnEventAndTheEosEndsWithStop() throws Exception {
        reply = "stream-eos.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {1}, new VllmClient.Params(16, 0, 1, 0, null, Set.of()))) {
            assertThat(drain(s)).containsExactly(recordedIds("stream-eos.sse"));
            assertThat(s.finishReason()).isEqualTo("stop");
        }
    }

    @Test
    void theLimitEndsWithLength() throws Exception {
        reply = "stream-limit.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {1}, new VllmClient.Params(4, 0, 1, 0, null, Set.of()))) {
            assertThat(drain(s)).hasSize(4);
            assertThat(s.finishReason()).isEqualTo("length");
        }
    }

    /** llama-server has no stop-id field: the client stops at the first requested one and hangs up, which cancels the rest. */
    @Test
    void aStopIdTheServerDoesNotKnowEndsTheStreamAtTheClient() throws Exception {
        reply = "stream-limit.sse";
        linger = true;
        Integer[] recorded = recordedIds("stream-limit.sse");
        try (VllmClient c = client();
                var s = c.stream(new int[] {1}, new VllmClient.Params(16, 0, 1, 0, null, Set.of(recorded[1])))) {
            assertThat(drain(s)).containsExactly(recorded[0], recorded[1]);
            assertThat(s.finishReason()).isEqualTo("stop");
        }
        long deadline = System.nanoTime() + 8_000_000_000L;
        while (!closedEarly && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(closedEarly)
                .as("the exchange was closed before the server's end")
                .isTrue();
    }

    @Test
    void anIdTheServerGeneratedButDidNotStreamIsA502() throws Exception {
        reply = "stream-gap.sse";
        try (VllmClient c = client();
                var s = c.stream(new int[] {1}, PARAMS)) {
            var e = catchThrowableOfType(UpstreamException.class, () -> drain(s));
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.getMessage()).contains("generated 3 ids but streamed 2", "whole UTF-8 characters");
        }
    }

    @Test
    void refusalsKeepLlamaServersMessage() throws Exception {
        reply = "error-invalid-token.json";
        status = 400;
        try (VllmClient c = client()) {
            var e = catchThrowableOfType(UpstreamException.class, () -> c.stream(new int[] {999_999}, PARAMS));
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).contains("HTTP 400", recordedMessage("error-invalid-token.json"));
        }
    }

    @Test
    void askingForLlamaServerFromAnotherServerSaysSo() throws Exception {
        stub.removeContext("/props");
        var e = catchThrowableOfType(
                UpstreamException.class,
                () -> VllmClient.connect(base(), null, VllmClient.Timeouts.defaults(), VllmClient.Kind.LLAMA_SERVER));
        assertThat(e.getMessage()).contains("is not llama-server", "/props", "404");
        try (VllmClient c = client()) {
            assertThat(c.dialect().name()).as("auto without /props").isEqualTo("vllm");
        }
    }

    Integer[] recordedIds(String sse) throws IOException {
        List<Integer> ids = new ArrayList<>();
        for (String line : new String(resource(sse), StandardCharsets.UTF_8).split("\n"))
            if (line.startsWith("data: "))
                for (JsonNode id : VllmClient.JSON.readTree(line.substring(6)).path("tokens")) ids.add(id.asInt());
        assertThat(ids).isNotEmpty();
        return ids.toArray(Integer[]::new);
    }

    String recordedMessage(String json) throws IOException {
        return VllmClient.JSON
                .readTree(resource(json))
                .path("error")
                .path("message")
                .asText();
    }
}
