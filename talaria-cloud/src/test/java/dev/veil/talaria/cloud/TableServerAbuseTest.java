package dev.veil.talaria.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.RawHttp;
import dev.veil.http.HttpLimits;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.protocol.EmbeddingTable;
import dev.veil.talaria.protocol.V2Codec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The table server on the shared HTTP layer, on loopback with a 2 s request timeout: it hands the embedding table to a
 * well-behaved client while 110 stalled connections wait to be cut off, cuts a byte-a-second client off, answers hostile
 * requests with a clear 4xx in KServe's error shape, and refuses to listen beyond loopback.
 */
class TableServerAbuseTest {

    static final ModelConfig C = TinyModels.qwen2();
    static final Weights W = TinyModels.random(C, 5);
    static final HttpLimits LIMITS =
            TableServer.HTTP_LIMITS.withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30));
    static TableServer tables;
    static URI uri;
    static final HttpClient CLIENT =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        tables = TableServer.start(C, W, "127.0.0.1", 0, LIMITS);
        uri = tables.uri();
    }

    @AfterAll
    static void stop() {
        tables.close();
        CLIENT.close();
    }

    /** The table, as a client reads it: every row of the model's embedding. */
    static void wellBehavedGetSucceeds() throws Exception {
        HttpResponse<byte[]> r = CLIENT.send(
                HttpRequest.newBuilder(uri.resolve(EmbeddingTable.PATH))
                        .timeout(Duration.ofMinutes(1))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        int json =
                Integer.parseInt(r.headers().firstValue(V2Codec.HEADER_LENGTH).orElseThrow());
        EmbeddingTable t = EmbeddingTable.decode(r.body(), json, C);
        assertThat(t.f32()).containsExactly(W.get("model.embed_tokens.weight").toFloats());
    }

    @Test
    void hundredTenStalledConnectionsAreCutOffWhileTheTableIsServed() throws Exception {
        long served = tables.served();
        RawHttp.assertStalledConnectionsAreCheapAndClosed(
                "table server",
                TableServerAbuseTest::wellBehavedGetSucceeds,
                () -> RawHttp.stalled(uri, 80, "GET " + EmbeddingTable.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
                () -> RawHttp.stalled(uri, 30, "GET /v1/tal"));
        assertThat(tables.served() - served).isEqualTo(3);
    }

    @Test
    void aByteASecondClientIsCutOff() throws Exception {
        String request =
                "GET " + EmbeddingTable.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(40) + "\r\n\r\n";
        int sent = RawHttp.trickle(uri, request, 250);
        assertThat(sent).as("bytes sent before the server cut the connection").isLessThan(request.length() / 2);
        wellBehavedGetSucceeds();
    }

    @Test
    void hostileRequestsGetAClear4xx() throws Exception {
        record Bad(String request, int status, String message) {}
        for (Bad bad : List.of(
                new Bad(
                        "POST " + EmbeddingTable.PATH + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n",
                        413,
                        "exceeds 1024 bytes"),
                new Bad(
                        "GET " + EmbeddingTable.PATH + " HTTP/1.1\r\nX-Big: " + "z".repeat(20_000) + "\r\n\r\n",
                        431,
                        "the request head exceeds"),
                new Bad(
                        "DELETE " + EmbeddingTable.PATH + " HTTP/1.1\r\nHost: x\r\n\r\n",
                        404,
                        "DELETE " + EmbeddingTable.PATH + " is not an endpoint of the table server"),
                new Bad("GET /v2/models HTTP/1.1\r\nHost: x\r\n\r\n", 404, "is not an endpoint"),
                new Bad("GET " + EmbeddingTable.PATH + " HTTP/1.1\r\nContent-Length: -3\r\n\r\n", 400, ""))) {
            RawHttp.Reply r = RawHttp.exchange(uri, bad.request());
            assertThat(r.status())
                    .as(bad.request().lines().findFirst().orElseThrow())
                    .isEqualTo(bad.status());
            assertThat(r.body()).startsWith("{\"error\":\"").contains(bad.message());
        }
        wellBehavedGetSucceeds();
    }

    @Test
    void itServesLoopbackOnly() {
        assertThatThrownBy(() -> TableServer.start(C, W, "0.0.0.0", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("serves loopback only");
    }
}
