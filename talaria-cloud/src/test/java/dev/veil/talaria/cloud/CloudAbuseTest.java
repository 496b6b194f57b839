package dev.veil.talaria.cloud;

import static dev.veil.talaria.cloud.CloudServerTest.C;
import static dev.veil.talaria.cloud.CloudServerTest.random;
import static dev.veil.talaria.cloud.CloudServerTest.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.RawHttp;
import dev.veil.engine.kernel.Parallel;
import dev.veil.talaria.protocol.InferResponse;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Clients that do not behave, on loopback: stalled heads and bodies, a byte at a time, idle connections, too many
 * connections, malformed heads and shapes. The cloud cuts them off after its (here short) timeouts, answers bad heads
 * with 400, and keeps answering a well-behaved client meanwhile.
 */
class CloudAbuseTest {

    static final CloudServer.Limits SHORT =
            new CloudServer.Limits(Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofMillis(500), 200);
    static FoldedModel model;
    static CloudServer cloud;
    static URI uri;

    @BeforeAll
    static void start() throws Exception {
        model = FoldedModel.fold(C, TinyModels.random(C, 3));
        cloud = CloudServer.start(model, CloudServer.Options.loopback(0).withLimits(SHORT));
        uri = cloud.uri();
    }

    @AfterAll
    static void stop() {
        cloud.close();
    }

    /** A well-behaved call: the folded product of random rows, checked against the model. */
    static void wellBehavedCallSucceeds(URI to) throws Exception {
        ModelName name = new ModelName(Product.QKV, 0);
        int n = 2, in = name.inDim(C), out = name.outDim(C);
        float[] x = random(n * in, 9);
        V2Codec.Body body = request(x, n, in);
        String head = "POST /v2/models/" + name
                + "/infer HTTP/1.1\r\nHost: cloud\r\nContent-Type: application/octet-stream\r\n" + V2Codec.HEADER_LENGTH
                + ": " + body.jsonLength() + "\r\nContent-Length: " + body.bytes().length
                + "\r\nConnection: close\r\n\r\n";
        try (Socket s = RawHttp.open(to)) {
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(body.bytes());
            var reply = readBinary(s);
            float[] expected = new float[n * out];
            model.get(name).multiply(Parallel.shared(), x, n, expected);
            assertThat(reply.output("output").data()).containsExactly(expected);
        }
    }

    private static InferResponse readBinary(Socket s) throws IOException {
        byte[] all = s.getInputStream().readAllBytes(); // Connection: close
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        assertThat(text).startsWith("HTTP/1.1 200");
        int json = Integer.parseInt(text.substring(0, end)
                .lines()
                .filter(l -> l.startsWith(V2Codec.HEADER_LENGTH))
                .findFirst()
                .orElseThrow()
                .substring(V2Codec.HEADER_LENGTH.length() + 1)
                .strip());
        return InferResponse.decode(Arrays.copyOfRange(all, end + 4, all.length), json);
    }

    @Test
    void stalledHeadsAndBodiesAreCutOffAndOthersAreServedMeanwhile() throws Exception {
        // 110 connections announce the largest body the cloud takes (megabytes each) and send none of it; others
        // stop half-way through their head
        RawHttp.assertStalledConnectionsAreCheapAndClosed(
                "talaria cloud",
                () -> wellBehavedCallSucceeds(uri),
                () -> RawHttp.stalled(
                        uri,
                        80,
                        "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nHost: cloud\r\nContent-Length: 2000000\r\n\r\n"),
                () -> RawHttp.stalled(uri, 30, "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nHost: cl"));
    }

    @Test
    void aByteAtATimeHeadIsCutOffAtItsDeadline() throws Exception {
        try (Socket s = RawHttp.open(uri)) {
            OutputStream out = s.getOutputStream();
            out.write("GET /v2/health/live HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
            CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(() -> {
                try {
                    return RawHttp.closedByServer(s);
                } catch (IOException e) {
                    return true;
                }
            });
            // each byte comes well within any per-read timeout; 400 of them would take 8 s, far past the head deadline
            for (int i = 0; i < 400 && !closed.isDone(); i++) {
                try {
                    out.write('a');
                } catch (IOException e) {
                    break; // reset: the server closed it
                }
                Thread.sleep(20);
            }
            assertThat(closed.get()).isTrue();
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheHeadTimeout() throws Exception {
        // the idle timeout is for kept-alive connections; a new one must start its request within the head timeout
        var longIdle =
                new CloudServer.Limits(Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofMinutes(10), 16);
        try (CloudServer cloud =
                        CloudServer.start(model, CloudServer.Options.loopback(0).withLimits(longIdle));
                Socket s = RawHttp.open(cloud.uri())) {
            assertThat(RawHttp.closedByServer(s)).isTrue();
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosed() throws Exception {
        try (Socket s = RawHttp.open(uri)) {
            s.getOutputStream()
                    .write("GET /v2/health/live HTTP/1.1\r\nHost: cloud\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawHttp.read(s).status()).isEqualTo(200);
            assertThat(RawHttp.closedByServer(s)).isTrue();
        }
    }

    @Test
    void connectionsOverTheCapGet503() throws Exception {
        var few = new CloudServer.Limits(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30), 4);
        try (CloudServer capped =
                CloudServer.start(model, CloudServer.Options.loopback(0).withLimits(few))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket s = RawHttp.open(capped.uri());
                    s.getOutputStream()
                            .write("GET /v2/health/live HTTP/1.1\r\nHost: cloud\r\n\r\n"
                                    .getBytes(StandardCharsets.ISO_8859_1));
                    assertThat(RawHttp.read(s).status()).isEqualTo(200); // served, and kept alive
                    held.add(s);
                }
                var refused = RawHttp.exchange(capped.uri(), "GET /v2/health/live HTTP/1.1\r\nHost: cloud\r\n\r\n");
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.body()).contains("4 connections at most");
            } finally {
                for (Socket s : held) s.close();
            }
            // the slots free up as the held connections close
            int status = 0;
            for (int i = 0; i < 100 && status != 200; i++) {
                status = RawHttp.exchange(
                                capped.uri(),
                                "GET /v2/health/live HTTP/1.1\r\nHost: cloud\r\nConnection: close\r\n\r\n")
                        .status();
                if (status != 200) Thread.sleep(20);
            }
            assertThat(status).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "GET /v2/health/live HTTP/1.1\nHost: cloud\n\n",
                "GET /v2/health/live HTTP/1.1\r\nHost: cloud\n\r\n",
                "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
                "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 9\r\n\r\nabcd",
                "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nContent-Length: +4\r\n\r\nabcd",
                "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nContent-Length: 4, 4\r\n\r\nabcd",
                "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nContent-Length : 4\r\n\r\nabcd",
                "GET /v2/health/live HTTP/1.1\r\nHost: cloud\r\n folded: line\r\n\r\n",
                "GET  /v2/health/live HTTP/1.1\r\n\r\n",
                "GET /v2/health/live HTTP/2.0\r\n\r\n",
            })
    void malformedHeadsGet400(String head) throws Exception {
        var reply = RawHttp.exchange(uri, head);
        assertThat(reply.status()).as(head).isEqualTo(400);
        assertThat(reply.body()).contains("error");
    }

    @Test
    void aShapeThatOverflowsIsA400WithAMessage() throws Exception {
        String json =
                "{\"id\":\"x\",\"inputs\":[{\"name\":\"input\",\"shape\":[4611686018427387904,4],\"datatype\":\"FP32\","
                        + "\"parameters\":{\"binary_data_size\":16}}],\"outputs\":[{\"name\":\"output\"}]}";
        byte[] body = (json + "0123456789abcdef").getBytes(StandardCharsets.ISO_8859_1);
        var reply = RawHttp.exchange(
                uri,
                "POST /v2/models/layer.0.qkv/infer HTTP/1.1\r\nHost: cloud\r\n" + V2Codec.HEADER_LENGTH + ": "
                        + json.length() + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n"
                        + new String(body, StandardCharsets.ISO_8859_1));
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("holds more floats than the body");
        wellBehavedCallSucceeds(uri);
    }
}
