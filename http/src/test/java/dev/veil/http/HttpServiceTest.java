package dev.veil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.RawHttp;
import dev.veil.engine.TestTls;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the HTTP layer does on its own, before and around a handler: the connection cap, bodies over the limit
 * (declared or chunked), heads over the limit, pipelined requests, a handler that fails.
 */
class HttpServiceTest {

    static final HttpError.Shape SHAPE =
            (status, message) -> new HttpError(status, "test_error", message, null, status);

    HttpService service;

    /** Echoes the body's length; {@code /fail} throws; {@code /big} answers {@link #BIG} bytes. */
    HttpService start(HttpLimits limits, int bodyLimit) throws IOException {
        return start(limits, bodyLimit, null);
    }

    /** Over three slices of a response, and not a whole one: each slice and the last part go out as they should. */
    static final byte[] BIG = new byte[3 * Exchange.SLICE + 5];

    static {
        for (int i = 0; i < BIG.length; i++) BIG[i] = (byte) (i * 31 + (i >> 12));
    }

    HttpService start(HttpLimits limits, int bodyLimit, SSLContext tls) throws IOException {
        service = HttpService.on("127.0.0.1", 0, SHAPE)
                .limits(limits)
                .bodyLimit(bodyLimit)
                .tls(tls)
                .start(ex -> {
                    if (ex.path().equals("/fail")) throw new IllegalStateException("boom");
                    if (ex.path().equals("/big")) {
                        ex.send(200, "application/octet-stream", BIG);
                        return;
                    }
                    ex.send(
                            200,
                            "text/plain",
                            (ex.method() + " " + ex.path() + " " + ex.body().length).getBytes(StandardCharsets.UTF_8));
                });
        return service;
    }

    @AfterEach
    void stop() {
        if (service != null) service.close();
    }

    Socket open() throws IOException {
        return RawHttp.open(URI.create("http://127.0.0.1:" + service.port()));
    }

    /** Sends {@code request} and reads one reply: its head and body. */
    static String exchange(Socket s, String request) throws IOException {
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        return reply(s);
    }

    static String reply(Socket s) throws IOException {
        RawHttp.Reply r = RawHttp.read(s);
        return r.head() + r.body();
    }

    static boolean closed(Socket s) throws IOException {
        return RawHttp.closedByServer(s);
    }

    /** A service that would misbehave is refused before it listens: no error shape, a bad port, an empty body limit. */
    @Test
    void refusesSettingsItCannotServeWith() {
        assertThatThrownBy(() -> HttpService.on("127.0.0.1", 0, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("errors");
        assertThatThrownBy(() -> HttpService.on("127.0.0.1", 65536, SHAPE))
                .hasMessage("port must be 0..65535, got 65536");
        assertThatThrownBy(() -> HttpService.on("127.0.0.1", 0, SHAPE).bodyLimit(0))
                .hasMessage("body limit must be > 0, got 0");
        assertThatThrownBy(() -> HttpService.on("127.0.0.1", 0, SHAPE).limits(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void aPortOutsideTcpsRangeIsRefusedNamingIt() {
        HttpService.checkPort(0);
        HttpService.checkPort(65535);
        for (int bad : new int[] {-1, 65536})
            assertThatThrownBy(() -> HttpService.checkPort(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("port must be 0..65535, got " + bad);
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
        start(HttpLimits.defaults().withMaxConnections(3), 1024);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                held.add(open());
                assertThat(exchange(held.get(i), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))
                        .startsWith("HTTP/1.1 200");
            }
            try (Socket extra = open()) {
                assertThat(closed(extra)).as("the fourth connection").isTrue();
            }
            held.removeFirst().close();
            Thread.sleep(100); // the close reaches the server
            try (Socket again = open()) {
                assertThat(exchange(again, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
                        .startsWith("HTTP/1.1 200")
                        .endsWith("GET /b 0");
            }
        } finally {
            for (Socket s : held) s.close();
        }
    }

    @Test
    void aChunkedBodyOverTheLimitIs413AndClosed() throws Exception {
        start(HttpLimits.defaults(), 100);
        try (Socket s = open()) {
            String chunk = "x".repeat(80);
            String reply = exchange(
                    s,
                    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + chunk + "\r\n50\r\n"
                            + chunk + "\r\n");
            assertThat(reply).startsWith("HTTP/1.1 413").contains("\"type\":\"test_error\"", "exceeds 100 bytes");
            assertThat(closed(s)).isTrue();
        }
        try (Socket s = open()) { // within the limit, chunked
            assertThat(exchange(
                            s,
                            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
                    .endsWith("POST /c 5");
        }
    }

    @Test
    void aDeclaredBodyOverTheLimitIs413AndTheConnectionServesTheNextRequest() throws Exception {
        start(HttpLimits.defaults(), 100);
        try (Socket s = open()) {
            String reply = exchange(s, "POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" + "y".repeat(200));
            assertThat(reply).startsWith("HTTP/1.1 413");
            assertThat(exchange(s, "POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"))
                    .endsWith("POST /d 3");
        }
    }

    @Test
    void aHeadOverTheLimitIs431() throws Exception {
        start(HttpLimits.defaults(), 100);
        try (Socket s = open()) {
            String reply = exchange(s, "GET /h HTTP/1.1\r\nHost: x\r\nX-Big: " + "z".repeat(20_000) + "\r\n\r\n");
            assertThat(reply).startsWith("HTTP/1.1 431");
            assertThat(closed(s)).isTrue();
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        start(HttpLimits.defaults(), 100);
        try (Socket s = open()) {
            s.getOutputStream()
                    .write(
                            ("GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                                            + "GET /three HTTP/1.1\r\nHost: x\r\n\r\n")
                                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(reply(s)).endsWith("GET /one 0");
            assertThat(reply(s)).endsWith("POST /two 2");
            assertThat(reply(s)).endsWith("GET /three 0");
        }
    }

    @Test
    void aFailingHandlerGets500InTheServicesShapeAndTheServerGoesOn() throws Exception {
        start(HttpLimits.defaults(), 100);
        try (Socket s = open()) {
            assertThat(exchange(s, "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n"))
                    .startsWith("HTTP/1.1 500")
                    .contains("\"code\":500", "internal error");
            assertThat(exchange(s, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")).endsWith("GET /ok 0");
        }
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        start(HttpLimits.defaults().withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(300)), 100);
        try (Socket s = open()) {
            assertThat(exchange(s, "GET /i HTTP/1.1\r\nHost: x\r\n\r\n")).endsWith("GET /i 0");
            assertThat(closed(s)).as("closed after 300 ms with no request").isTrue();
        }
    }

    @Test
    void overTlsItServesLargeBodiesInSlicesAndClosesPlainHttpAndStalledHandshakes(@TempDir Path dir) throws Exception {
        Path keystore = TestTls.keystore(dir);
        // 3 s to finish a request, handshake included: 500 ms cut real handshakes off on a loaded machine (a fresh
        // JVM's first TLS handshake is slow); the stalled one below is still cut well within RawHttp's 20 s read limit
        start(
                HttpLimits.defaults().withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(5)),
                100,
                Tls.serverContext(keystore, TestTls.PASSWORD.toCharArray()));
        assertThat(service.tls()).isTrue();
        URI https = URI.create("https://127.0.0.1:" + service.port());
        try (HttpClient client = HttpClient.newBuilder()
                .sslContext(TestTls.trusting(dir))
                .version(HttpClient.Version.HTTP_1_1)
                .build()) {
            for (String path : List.of("/big", "/big")) { // twice on one kept-alive connection
                HttpResponse<byte[]> r = client.send(
                        HttpRequest.newBuilder(https.resolve(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Length")).hasValue(Integer.toString(BIG.length));
                assertThat(r.body()).isEqualTo(BIG);
            }
            HttpResponse<String> post = client.send(
                    HttpRequest.newBuilder(https.resolve("/p"))
                            .POST(HttpRequest.BodyPublishers.ofString("hello"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.body()).isEqualTo("POST /p 5");
        }
        try (Socket plain = open()) { // plain HTTP to the TLS port: closed, nothing answered in the clear
            plain.getOutputStream().write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(new String(plain.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                    .doesNotContain("HTTP/1.1");
        }
        try (Socket half = open()) { // a handshake begun and left: cut off at the request timeout
            half.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00});
            assertThat(closed(half)).isTrue();
        }
    }

    @Test
    void secretsNeedTlsBeyondLoopback() throws Exception {
        assertThatThrownBy(() -> Tls.requireBeyondLoopback("0.0.0.0", null, "it takes secrets"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("it takes secrets: it listens on 0.0.0.0 only with TLS (--tls-keystore FILE); without, "
                        + "only on loopback (127.0.0.1)");
        Tls.requireBeyondLoopback("127.0.0.1", null, "it takes secrets");
        Tls.requireBeyondLoopback("0.0.0.0", SSLContext.getDefault(), "it takes secrets");
    }
}
