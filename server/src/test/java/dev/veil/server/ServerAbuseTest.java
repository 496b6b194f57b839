package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.RawHttp;
import dev.veil.engine.TestModels;
import dev.veil.engine.Transformer;
import dev.veil.http.HttpLimits;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The abuse suite on loopback: stalled heads and bodies, a byte-a-second client, a 10 GB Content-Length, and clients
 * that drop their requests mid-generation, streaming or not. The server runs with a 2 s request timeout so the suite
 * takes seconds; a well-behaved client is served meanwhile.
 */
class ServerAbuseTest {

    /** 2 s to send a request; idle connections keep the default 30 s, so the test client's pooled ones stay usable. */
    static final HttpLimits LIMITS = HttpLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30));

    static TestServers.Gate gate;
    static InferenceServer server;
    static URI uri;

    @BeforeAll
    static void start() throws Exception {
        gate = new TestServers.Gate(TestServers.backend(TestModels.llama(), 5));
        server = TestServers.start(
                new Transformer(gate, TestServers.PARALLEL),
                List.of(),
                TestServers.options("tiny").withLimits(80, 256).withHttp(LIMITS));
        uri = server.uri();
    }

    @AfterAll
    static void stop() {
        gate.release();
        server.close();
    }

    /**
     * {@code n} clients went away while the gate held the pass: the server sees them go, and once the gate opens it
     * cancels them, generating at most one more token for any of them.
     */
    static void awaitDropsCancelled(int n, long goneBefore, long cancelledBefore) throws InterruptedException {
        TestServers.await(
                () -> server.metrics().requests("client_gone") - goneBefore == n, "the server sees all " + n + " go");
        gate.release();
        TestServers.await(
                () -> server.metrics().cancelledSequences() - cancelledBefore == n, "all " + n + " are cancelled");
        assertThat(server.metrics().maxTokensAfterCancel())
                .as("tokens generated after the client went away")
                .isLessThanOrEqualTo(1);
    }

    static void wellBehavedRequestSucceeds() throws Exception {
        ObjectNode r = TestHttp.JSON.createObjectNode();
        r.putArray("prompt").add(1).add(2).add(3);
        r.put("max_tokens", 4);
        r.put("ignore_eos", true);
        var response = TestHttp.post(uri.resolve("/v1/completions"), r);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().get("choices").get(0).get("token_ids")).hasSize(4);
    }

    @Test
    void hundredTenStalledConnectionsCostLittleMemoryAndAreClosedAfterTheTimeout() throws Exception {
        long timeoutsBefore = server.metrics().httpTimeouts();
        // each declares a body at the limit (1 MiB here) and sends a byte of it: memory follows the bytes that came
        RawHttp.assertStalledConnectionsAreCheapAndClosed(
                uri, "/v1/completions", "{", "token server", ServerAbuseTest::wellBehavedRequestSucceeds);
        assertThat(server.metrics().httpTimeouts() - timeoutsBefore).isGreaterThanOrEqualTo(110);
    }

    @Test
    void aByteASecondClientIsCutOffByTheRequestTimeout() throws Exception {
        String body = "{\"prompt\": [1, 2, 3], \"max_tokens\": 4}";
        String request =
                "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body;
        // 4 bytes a second: the whole request would take ~35 s; the 2 s request timeout ends it after ~8 bytes
        int sent = RawHttp.trickle(uri, request, 250);
        assertThat(sent).as("bytes sent before the server cut the connection").isLessThan(request.length());
        wellBehavedRequestSucceeds();
    }

    @Test
    void droppedStreamsStopWithinOneStepAndTheOthersFinishUnchanged() throws Exception {
        ObjectNode other = request(7, 40, false);
        JsonNode solo = TestHttp.post(uri.resolve("/v1/completions"), other)
                .json()
                .get("choices")
                .get(0)
                .get("token_ids");
        long cancelledBefore = server.metrics().cancelledSequences();
        long goneBefore = server.metrics().requests("client_gone");
        List<Socket> dropped = new ArrayList<>();
        List<Socket> kept = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                // the dropped ones could not finish before they are dropped (the context holds 256)
                Socket s = send(request(i, i % 2 == 0 ? 240 : 24, true));
                (i % 2 == 0 ? dropped : kept).add(s);
            }
            for (Socket s : dropped) RawHttp.awaitFirstEvent(s);
            gate.hold(); // the next pass waits: the drops land while it is under way
            for (Socket s : kept)
                RawHttp.awaitFirstEvent(s); // all 64 were prefilled in one pass: each has its first token
            CompletableFuture<TestHttp.Response> during = TestHttp.postAsync(uri.resolve("/v1/completions"), other);
            for (Socket s : dropped) s.close();
            awaitDropsCancelled(32, goneBefore, cancelledBefore);
            for (Socket s : kept)
                assertThat(RawHttp.lastEvent(s))
                        .as("a kept stream runs to its end")
                        .isEqualTo("data: [DONE]");
            assertThat(during.get().json().get("choices").get(0).get("token_ids"))
                    .isEqualTo(solo);
            TestServers.await(() -> server.metrics().running() == 0, "every slot is free");
        } finally {
            gate.release();
            for (Socket s : dropped) s.close();
            for (Socket s : kept) s.close();
        }
    }

    @Test
    void aDroppedNonStreamingRequestStopsWithinOneStep() throws Exception {
        long cancelledBefore = server.metrics().cancelledSequences();
        long goneBefore = server.metrics().requests("client_gone");
        List<Socket> dropped = new ArrayList<>();
        try {
            gate.hold();
            for (int i = 0; i < 8; i++) dropped.add(send(request(i, 240, false)));
            TestServers.await(
                    () -> server.metrics().running() + server.metrics().waiting() == 8,
                    "all 8 are in (a pass waits at the gate)");
            for (Socket s : dropped) s.close();
            awaitDropsCancelled(8, goneBefore, cancelledBefore);
            TestServers.await(() -> server.metrics().running() == 0, "their slots are free");
        } finally {
            gate.release();
            for (Socket s : dropped) s.close();
        }
        wellBehavedRequestSucceeds();
    }

    @Test
    void aHugeContentLengthIsAnsweredAtOnce() throws Exception {
        try (Socket s = RawHttp.open(uri)) {
            s.getOutputStream()
                    .write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: 10000000000\r\n\r\n{")
                            .getBytes(StandardCharsets.US_ASCII));
            var reply = RawHttp.read(s);
            assertThat(reply.status()).isEqualTo(413);
            // the limit follows the context (TestModels.llama: small), 1 MiB at least
            assertThat(reply.body()).contains("exceeds 1048576 bytes");
        }
        wellBehavedRequestSucceeds();
    }

    private static ObjectNode request(int i, int maxTokens, boolean stream) {
        ObjectNode r = TestHttp.JSON.createObjectNode();
        r.putArray("prompt").add(1).add(2).add(3 + i);
        r.put("max_tokens", maxTokens);
        r.put("ignore_eos", true);
        r.put("temperature", 0);
        r.put("stream", stream);
        return r;
    }

    private static Socket send(ObjectNode r) throws Exception {
        String json = TestHttp.JSON.writeValueAsString(r);
        Socket s = RawHttp.open(uri);
        s.getOutputStream()
                .write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Content-Length: " + json.length() + "\r\nConnection: close\r\n\r\n" + json)
                        .getBytes(StandardCharsets.US_ASCII));
        return s;
    }
}
