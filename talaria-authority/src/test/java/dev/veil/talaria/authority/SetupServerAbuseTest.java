package dev.veil.talaria.authority;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.RawHttp;
import dev.veil.engine.TestTls;
import dev.veil.http.HttpLimits;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupPlan;
import dev.veil.talaria.protocol.SetupRequest;
import dev.veil.talaria.protocol.V2Codec;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import javax.net.SocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The abuse suite against the setup authority as deployed: HTTPS (a keytool-made certificate), bearer tokens, on
 * loopback, with a 2 s request timeout so the suite takes seconds. Stalled handshakes, heads and bodies, a
 * byte-a-second client, plain HTTP on the TLS port, hostile heads: each is cut off or gets a clear 4xx, a client with a
 * token is served meanwhile, and no log line holds a token or a seed.
 */
class SetupServerAbuseTest {

    static final ModelConfig C = TinyModels.qwen2();
    static final SetupPlan PLAN = new SetupPlan(MaskSpec.pool(4), MaskSpec.pool(4), 1);
    static final String TOKEN = SetupClients.newToken();
    static final HttpLimits LIMITS =
            SetupServer.HTTP_LIMITS.withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30));

    @TempDir
    static Path dir;

    static SetupServer server;
    static URI uri;
    static SocketFactory tls;
    static HttpClient client;
    static final List<String> logs = new ArrayList<>();
    static final Handler capture = new Handler() {
        final SimpleFormatter format = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
            synchronized (logs) {
                logs.add(r.getLoggerName() + " " + format.formatMessage(r) + " " + r.getThrown());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    static Level rootLevel;

    @BeforeAll
    static void start() throws Exception {
        Path keystore = TestTls.keystore(dir);
        var options = SetupServer.Options.secure("127.0.0.1", 0, SetupClients.of("alice", TOKEN, null))
                .withBudget(RowBudget.UNLIMITED)
                .withRate(0)
                .withHttp(LIMITS)
                .withTls(SetupServer.tlsContext(keystore, TestTls.PASSWORD.toCharArray()));
        Logger root = Logger.getLogger("");
        rootLevel = root.getLevel();
        root.setLevel(Level.ALL); // Netty's and the layer's debug lines too
        root.addHandler(capture);
        server = SetupServer.start(new SetupAuthority(FoldedModel.fold(C, TinyModels.random(C, 4))), options);
        uri = server.uri();
        tls = TestTls.trusting(dir).getSocketFactory();
        client = HttpClient.newBuilder()
                .sslContext(TestTls.trusting(dir))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    @AfterAll
    static void stop() {
        server.close();
        client.close();
        Logger root = Logger.getLogger("");
        root.removeHandler(capture);
        root.setLevel(rootLevel);
    }

    /** A setup with the token: its bundle decodes against the model and the plan. Returns its seed. */
    static byte[] wellBehavedSetupSucceeds() throws Exception {
        SetupRequest req = new SetupRequest(MaskPrg.newSeed(), PLAN);
        HttpResponse<byte[]> r = client.send(
                HttpRequest.newBuilder(URI.create(uri + SetupServer.PATH))
                        .header("Authorization", "Bearer " + TOKEN)
                        .timeout(Duration.ofMinutes(1))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(req.toJson()))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode())
                .as(new String(r.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        int json =
                Integer.parseInt(r.headers().firstValue(V2Codec.HEADER_LENGTH).orElseThrow());
        assertThat(SetupBundle.decode(r.body(), json, C, PLAN)
                        .get(ModelName.EMBED)
                        .poolU())
                .hasSize(4 * C.hiddenSize());
        return req.seed();
    }

    static String head(String extra) {
        return "POST " + SetupServer.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + "\r\n"
                + extra;
    }

    @Test
    void hundredTenStalledTlsConnectionsCostLittleMemoryAndAreClosedAfterTheTimeout() throws Exception {
        long timeoutsBefore = server.timeouts();
        // each finishes its handshake, then declares a body at the limit and sends one byte of it, or half a head
        RawHttp.assertStalledConnectionsAreCheapAndClosed(
                "setup authority (TLS)",
                SetupServerAbuseTest::wellBehavedSetupSucceeds,
                () -> RawHttp.stalled(uri, 80, head("Content-Length: " + SetupServer.MAX_BODY + "\r\n\r\n{"), tls),
                () -> RawHttp.stalled(uri, 30, "POST " + SetupServer.PATH + " HTTP/1.1\r\nHost: 12", tls));
        assertThat(server.timeouts() - timeoutsBefore).isGreaterThanOrEqualTo(110);
    }

    @Test
    void aStalledHandshakeAndAByteASecondClientAreCutOff() throws Exception {
        // a TCP connection that starts a TLS record and never finishes it: cut at the request timeout
        try (Socket s = RawHttp.open(uri)) {
            s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
            assertThat(RawHttp.closedByServer(s)).isTrue();
        }
        String body = new String(new SetupRequest(MaskPrg.newSeed(), PLAN).toJson(), StandardCharsets.UTF_8);
        String request = head("Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        // 4 bytes a second: the whole request would take minutes; the 2 s request timeout ends it after ~8 bytes
        int sent = RawHttp.trickle(uri, request, 250, tls);
        assertThat(sent).as("bytes sent before the server cut the connection").isLessThan(request.length() / 4);
        wellBehavedSetupSucceeds();
    }

    @Test
    void hostileRequestsGetAClear4xxOrAreClosed() throws Exception {
        // plain HTTP on the TLS port: no HTTP answer, the connection is closed
        try (Socket s = RawHttp.open(uri)) {
            s.getOutputStream().write(head("Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.ISO_8859_1));
            byte[] reply = s.getInputStream().readAllBytes();
            assertThat(new String(reply, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1");
        }
        record Bad(String request, int status, String message) {}
        for (Bad bad : List.of(
                new Bad(
                        head("Content-Length: 10000000000\r\n\r\n{"),
                        413,
                        "exceeds " + SetupServer.MAX_BODY + " bytes"),
                new Bad(head("X-Big: " + "z".repeat(20_000) + "\r\n\r\n"), 431, "the request head exceeds"),
                new Bad(head("Content-Length: lots\r\n\r\n"), 400, ""),
                new Bad(
                        head("Content-Length: 10\r\n\r\n{\"seed\":1}"),
                        400,
                        "setup request field 'seed' is not base64"),
                new Bad(
                        "POST " + SetupServer.PATH + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                + SetupClients.newToken() + "\r\nContent-Length: 2\r\n\r\n{}",
                        401,
                        "unknown bearer token"),
                new Bad("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404, "is not an endpoint"))) {
            try (Socket s = RawHttp.open(uri, tls)) {
                s.getOutputStream().write(bad.request().getBytes(StandardCharsets.ISO_8859_1));
                RawHttp.Reply r = RawHttp.read(s);
                assertThat(r.status())
                        .as(bad.request().lines().findFirst().orElseThrow())
                        .isEqualTo(bad.status());
                assertThat(r.head()).containsIgnoringCase("Content-Type: application/json");
                assertThat(r.body()).startsWith("{\"error\":\"").contains(bad.message());
            }
        }
        wellBehavedSetupSucceeds();
    }

    @Test
    void noLogLineHoldsATokenOrASeed() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        for (int i = 0; i < 2; i++) seeds.add(wellBehavedSetupSucceeds());
        try (Socket s = RawHttp.open(uri, tls)) { // a malformed request that carries a token
            s.getOutputStream().write(head("Content-Length: 5\r\n\r\n{oops").getBytes(StandardCharsets.ISO_8859_1));
            assertThat(RawHttp.read(s).status()).isEqualTo(400);
        }
        List<String> lines;
        synchronized (logs) {
            lines = List.copyOf(logs);
        }
        assertThat(lines).anyMatch(l -> l.contains("talaria setup authority on https://"));
        for (String line : lines) {
            assertThat(line).doesNotContain(TOKEN);
            for (byte[] seed : seeds)
                assertThat(line)
                        .doesNotContain(Base64.getEncoder().encodeToString(seed))
                        .doesNotContain(HexFormat.of().formatHex(seed));
        }
    }
}
