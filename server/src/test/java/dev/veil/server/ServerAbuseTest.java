package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.RawHttp;
import dev.veil.engine.TestModels;
import dev.veil.engine.Transformer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that do not behave, on loopback: heads and bodies that stall, a 10 GB Content-Length, bodies over the
 * limit. The request timeout is the JDK server's {@code sun.net.httpserver.maxReqTime}, set short for tests in this
 * module's pom (veil serve sets it from --request-timeout); a well-behaved client is served meanwhile.
 */
class ServerAbuseTest {

    static TestServers.Gate gate;
    static InferenceServer server;
    static URI uri;

    @BeforeAll
    static void start() throws Exception {
        gate = new TestServers.Gate(TestServers.backend(TestModels.llama(), 5));
        server = TestServers.start(new Transformer(gate, TestServers.PARALLEL), List.of(), TestServers.options("tiny"));
        uri = server.uri();
    }

    @AfterAll
    static void stop() {
        gate.release();
        server.close();
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
    void stalledHeadsAndBodiesAreClosedAfterTheRequestTimeout() throws Exception {
        assertThat(System.getProperty("sun.net.httpserver.maxReqTime")).as("set in server/pom.xml").isNotNull();
        List<Socket> stalled = new ArrayList<>();
        try {
            stalled.addAll(RawHttp.stalled(uri, 80, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{\"prompt\": ["));
            stalled.addAll(RawHttp.stalled(uri, 30, "POST /v1/completions HTTP/1.1\r\nHost: 12"));
            wellBehavedRequestSucceeds();
            for (Socket s : stalled) assertThat(RawHttp.closedByServer(s)).as("a stalled connection is closed").isTrue();
            wellBehavedRequestSucceeds();
        } finally {
            for (Socket s : stalled) s.close();
        }
    }

    @Test
    void droppedStreamsAreCancelledWithinAStepAndAnotherClientFinishesUnchanged() throws Exception {
        ObjectNode other = TestHttp.JSON.createObjectNode();
        other.putArray("prompt").add(7).add(8).add(9);
        other.put("max_tokens", 40);
        other.put("ignore_eos", true);
        other.put("temperature", 0);
        var solo = TestHttp.post(uri.resolve("/v1/completions"), other).json().get("choices").get(0).get("token_ids");
        long cancelledBefore = server.metrics().cancelledSequences();
        List<Socket> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 32; i++) {
                ObjectNode r = TestHttp.JSON.createObjectNode();
                r.putArray("prompt").add(1).add(2).add(3 + i);
                r.put("max_tokens", 240); // the context holds 256: none finishes before it is dropped
                r.put("ignore_eos", true);
                r.put("stream", true);
                String json = TestHttp.JSON.writeValueAsString(r);
                Socket s = RawHttp.open(uri);
                s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + json.length() + "\r\n\r\n" + json).getBytes(StandardCharsets.US_ASCII));
                streams.add(s);
            }
            CompletableFuture<TestHttp.Response> during = CompletableFuture.supplyAsync(() -> {
                try {
                    return TestHttp.post(uri.resolve("/v1/completions"), other);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            for (Socket s : streams) { // each has started: its first event came
                var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                for (String line; (line = in.readLine()) != null && !line.startsWith("data: "); ) {
                    // the head
                }
            }
            gate.hold(); // no stream can run to its end before it is dropped
            for (Socket s : streams) s.close();
            gate.release();
            ContinuousBatchingTest.await(() -> server.metrics().cancelledSequences() - cancelledBefore == 32, "all 32 dropped streams are cancelled");
            ContinuousBatchingTest.await(() -> server.metrics().running() == 0, "their slots are free");
            assertThat(during.get().json().get("choices").get(0).get("token_ids")).isEqualTo(solo);
        } finally {
            for (Socket s : streams) s.close();
        }
    }

    @Test
    void aHugeContentLengthIsAnsweredAtOnce() throws Exception {
        try (Socket s = RawHttp.open(uri)) {
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 10000000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            var reply = RawHttp.read(s);
            assertThat(reply.status()).isEqualTo(413);
            // the limit follows the context (TestModels.llama: small), 1 MiB at least
            assertThat(reply.body()).contains("exceeds 1048576 bytes");
        }
        wellBehavedRequestSucceeds();
    }
}
