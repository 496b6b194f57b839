package dev.veil.talaria.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupPlan;
import dev.veil.talaria.protocol.SetupRequest;
import dev.veil.talaria.protocol.V2Codec;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The setup authority over a loopback socket: who may set up (tokens), how much of each product a client may learn
 * (row budgets), how many setups compute at once and what they hold, and that every bad request gets its own 4xx
 * while other clients' setups go on.
 */
class SetupServerTest {

    static final ModelConfig C = TinyModels.qwen2(); // d = 64, d_ff = 160, V = 384
    static final SetupAuthority AUTHORITY = new SetupAuthority(FoldedModel.fold(C, TinyModels.random(C, 4)));
    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final String ALICE = SetupClients.newToken(), BOB = SetupClients.newToken(), CAROL = SetupClients.newToken();
    static final SetupClients CLIENTS = new SetupClients(List.of(
            new SetupClients.Client("alice", SetupClients.hash(ALICE), null),
            new SetupClients.Client("bob", SetupClients.hash(BOB), null),
            new SetupClients.Client("carol", SetupClients.hash(CAROL), new RowBudget(200))));
    /** 40 pool rows of every product and 1 check vector: 41 directions of each, under every default cap (63..383). */
    static final SetupPlan PLAN = new SetupPlan(MaskSpec.pool(40), MaskSpec.pool(40), 1);

    static final ExecutorService THREADS = Executors.newVirtualThreadPerTaskExecutor();

    @AfterAll
    static void stop() {
        THREADS.shutdownNow();
    }

    static SetupServer.Options options() {
        return SetupServer.Options.secure("127.0.0.1", 0, CLIENTS);
    }

    static byte[] request(SetupPlan plan) {
        return new SetupRequest(MaskPrg.newSeed(), plan).toJson();
    }

    static HttpResponse<byte[]> post(SetupServer s, String token, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.uri() + SetupServer.PATH))
                .timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    /** A setup that must succeed: its bundle decodes against the model and the plan. */
    static void assertSetupWorks(SetupServer s, String token) throws Exception {
        SetupRequest req = new SetupRequest(MaskPrg.newSeed(), PLAN);
        HttpResponse<byte[]> r = post(s, token, req.toJson());
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        int json =
                Integer.parseInt(r.headers().firstValue(V2Codec.HEADER_LENGTH).orElseThrow());
        SetupBundle b = SetupBundle.decode(r.body(), json, C, PLAN);
        assertThat(b.get(ModelName.LM_HEAD).poolU()).hasSize(40 * C.vocabSize());
    }

    /** A setup that must be refused with {@code status}, its message holding each of {@code says}. */
    static HttpResponse<byte[]> assertSetupRefused(SetupServer s, String token, int status, String... says)
            throws Exception {
        HttpResponse<byte[]> r = post(s, token, request(PLAN));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(status);
        assertThat(text(r)).contains(says);
        return r;
    }

    @Test
    void aSetupNeedsAKnownBearerToken() throws Exception {
        try (SetupServer s = SetupServer.start(AUTHORITY, options())) {
            HttpResponse<byte[]> none = post(s, null, request(PLAN));
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"veil-setup\"");
            assertThat(text(none)).startsWith("{\"error\":\"no bearer token");
            HttpResponse<byte[]> wrong = post(s, SetupClients.newToken(), request(PLAN));
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(text(wrong)).contains("unknown bearer token");
            assertThat(s.sessions()).isZero();
            assertSetupWorks(s, ALICE);
            assertThat(s.sessions()).isEqualTo(1);
        }
    }

    @Test
    void aClientIsRefusedBeforeItHoldsEnoughDirectionsToSolveForAProductsWeights() throws Exception {
        try (SetupServer s = SetupServer.start(AUTHORITY, options())) {
            ModelName qkv = new ModelName(Product.QKV, 0);
            assertSetupWorks(s, ALICE);
            assertThat(s.handedOut("alice", qkv)).isEqualTo(41);
            assertThat(s.handedOut("alice", new ModelName(Product.DOWN, 1))).isEqualTo(41);
            assertThat(s.handedOut("alice", ModelName.EMBED)).isEqualTo(41);
            // 41 more would make 82 directions of layer.0.qkv, whose d_in is 64: refused, nothing computed or counted
            assertSetupRefused(
                    s,
                    ALICE,
                    403,
                    "client 'alice' has received 41 input directions of layer.0.qkv's weights (d_in = 64)",
                    "would add 41, over its cap of 63",
                    "the default cap is d_in - 1");
            assertThat(s.sessions()).isEqualTo(1);
            assertThat(s.handedOut("alice", qkv)).isEqualTo(41);
            // what is left still fits: 22 = 21 pool rows + 1 check vector
            assertThat(post(s, ALICE, request(new SetupPlan(MaskSpec.pool(21), MaskSpec.pool(21), 1)))
                            .statusCode())
                    .isEqualTo(200);
            assertThat(s.handedOut("alice", qkv)).isEqualTo(63);
            assertThat(post(s, ALICE, request(new SetupPlan(MaskSpec.NONE, MaskSpec.NONE, 1)))
                            .statusCode())
                    .isEqualTo(403);
            // a ReMO basis counts its m rows: remo:0.5 is 32 of layer.0.qkv's 64
            assertThat(SetupAuthority.directions(qkv, C, new SetupPlan(MaskSpec.remo(0.5), MaskSpec.NONE, 2)))
                    .isEqualTo(34);
            // budgets are per client
            assertSetupWorks(s, BOB);
            assertThat(s.handedOut("bob", qkv)).isEqualTo(41);
        }
    }

    @Test
    void budgetsComeFromTheClientsFileThenTheServer() throws Exception {
        try (SetupServer s = SetupServer.start(AUTHORITY, options().withBudget(new RowBudget(50)))) {
            assertSetupWorks(s, ALICE);
            // the server's budget applies to every product alike, the embedding first
            assertSetupRefused(
                    s, ALICE, 403, "41 input directions of embed's weights", "cap of 50", "the operator set this cap");
            // carol's own budget (200) beats the server's and the default (63 for layer.0.qkv)
            for (int i = 0; i < 4; i++) assertSetupWorks(s, CAROL);
            assertThat(s.handedOut("carol", new ModelName(Product.QKV, 0))).isEqualTo(164);
            assertThat(post(s, CAROL, request(PLAN)).statusCode()).isEqualTo(403);
        }
        try (SetupServer s = SetupServer.start(AUTHORITY, options().withBudget(RowBudget.UNLIMITED))) {
            for (int i = 0; i < 3; i++) assertSetupWorks(s, ALICE);
            assertThat(s.handedOut("alice", new ModelName(Product.QKV, 1))).isEqualTo(123);
        }
    }

    @Test
    void setupsPerMinuteAreCappedPerClient() throws Exception {
        try (SetupServer s = SetupServer.start(AUTHORITY, options().withRate(1).withBudget(RowBudget.UNLIMITED))) {
            assertSetupWorks(s, ALICE);
            HttpResponse<byte[]> r =
                    assertSetupRefused(s, ALICE, 429, "client 'alice' asked for more than 1 setups a minute");
            assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
                    .isBetween(1L, 60L);
            assertSetupWorks(s, BOB);
        }
    }

    @Test
    void theTokenBucketRefillsAtTheSetRate() throws Exception {
        long[] now = {0};
        ClientLedger ledger = new ClientLedger(2, () -> now[0]);
        ledger.takeSetup("a");
        ledger.takeSetup("a");
        assertThatThrownBy(() -> ledger.takeSetup("a")).hasMessageContaining("retry in 30 s");
        ledger.takeSetup("b");
        now[0] = TimeUnit.SECONDS.toNanos(30); // one setup back every 30 s
        ledger.takeSetup("a");
        assertThatThrownBy(() -> ledger.takeSetup("a")).hasMessageContaining("more than 2 setups a minute");
    }

    /** A hook that holds each setup in its slot, bundle bytes counted, until {@code release}. */
    static Runnable holdUntil(CountDownLatch arrived, CountDownLatch release) {
        return () -> {
            arrived.countDown();
            try {
                release.await(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Test
    void atMostKSetupsHoldBundlesAtOnce() throws Exception {
        long bundle = AUTHORITY.bundleBytes(PLAN);
        // every request asks for the largest bundle this authority allows
        SetupServer.Options o = options()
                .withBudget(RowBudget.UNLIMITED)
                .withMaxBundleBytes(bundle)
                .withConcurrency(2, Duration.ofMinutes(2));
        try (SetupServer s = SetupServer.start(AUTHORITY, o)) {
            CountDownLatch arrived = new CountDownLatch(2), release = new CountDownLatch(1);
            s.beforeCompute(holdUntil(arrived, release));
            List<Future<HttpResponse<byte[]>>> replies = new ArrayList<>();
            for (String token : List.of(ALICE, BOB, CAROL))
                replies.add(THREADS.submit(() -> post(s, token, request(PLAN))));
            assertThat(arrived.await(2, TimeUnit.MINUTES)).isTrue();
            release.countDown();
            for (var f : replies)
                assertThat(f.get(2, TimeUnit.MINUTES).statusCode()).isEqualTo(200);
            // two held at once, each twice (material and encoded reply); the third waited for a slot
            assertThat(s.peakBundleBytes())
                    .isEqualTo(2 * 2 * bundle)
                    .isLessThanOrEqualTo(o.maxConcurrent() * 2 * o.maxBundleBytes());
            assertThat(s.sessions()).isEqualTo(3);
            // one byte over the limit is refused before any work
            HttpResponse<byte[]> big = post(s, ALICE, request(new SetupPlan(MaskSpec.pool(41), MaskSpec.pool(40), 1)));
            assertThat(big.statusCode()).isEqualTo(400);
            assertThat(text(big)).contains("over this authority's limit of " + bundle + " bytes per setup");
        }
    }

    @Test
    void aSetupThatFindsNoSlotIsTurnedAwayWith503AndItsDirectionsAreNotCounted() throws Exception {
        SetupServer.Options o = options().withConcurrency(1, Duration.ZERO);
        try (SetupServer s = SetupServer.start(AUTHORITY, o)) {
            CountDownLatch arrived = new CountDownLatch(1), release = new CountDownLatch(1);
            s.beforeCompute(holdUntil(arrived, release));
            Future<HttpResponse<byte[]>> first = THREADS.submit(() -> post(s, ALICE, request(PLAN)));
            assertThat(arrived.await(2, TimeUnit.MINUTES)).isTrue();
            HttpResponse<byte[]> busy = post(s, BOB, request(PLAN));
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(text(busy)).contains("1 setups are computing");
            assertThat(s.handedOut("bob", ModelName.EMBED)).isZero();
            release.countDown();
            assertThat(first.get(2, TimeUnit.MINUTES).statusCode()).isEqualTo(200);
            s.beforeCompute(() -> {});
            assertSetupWorks(s, BOB);
        }
    }

    @Test
    void eachBadRequestGetsItsOwn4xxAndOtherClientsGoOn() throws Exception {
        try (SetupServer s = SetupServer.start(AUTHORITY, options().withBudget(RowBudget.UNLIMITED))) {
            String seed = Base64.getEncoder().encodeToString(new byte[MaskPrg.SEED_BYTES]);
            record Bad(String body, String expected) {}
            for (Bad bad : List.of(
                    new Bad("{not json", "setup request is not valid JSON"),
                    new Bad("[1, 2]", "setup request is not a JSON object"),
                    new Bad(
                            "{\"seed\": \"AAAA\", \"hidden\": \"pool:4\", \"embed\": \"pool:4\", \"check_vectors\": 1}",
                            "setup seed must be 32 bytes, got 3"),
                    new Bad(
                            "{\"seed\": \"" + seed
                                    + "\", \"hidden\": \"pool:4\", \"embed\": \"pool:4\", \"check_vectors\": 1, \"lm_head\": \"pool:9\"}",
                            "setup request has unknown field 'lm_head'"),
                    new Bad(
                            "{\"seed\": \"" + seed
                                    + "\", \"hidden\": \"fancy:4\", \"embed\": \"pool:4\", \"check_vectors\": 1}",
                            "setup request field 'hidden': unknown mask 'fancy:4'"),
                    new Bad(
                            "{\"seed\": \"" + seed
                                    + "\", \"hidden\": \"pool:4\", \"embed\": \"pool:4\", \"check_vectors\": -1}",
                            "check vectors must be >= 0"))) {
                HttpResponse<byte[]> r = post(s, ALICE, bad.body().getBytes(StandardCharsets.UTF_8));
                assertThat(r.statusCode()).as(bad.body()).isEqualTo(400);
                assertThat(text(r)).as(bad.body()).contains(bad.expected());
            }
            HttpResponse<byte[]> get = HTTP.send(
                    HttpRequest.newBuilder(URI.create(s.uri() + SetupServer.PATH))
                            .header("Authorization", "Bearer " + ALICE)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(get.statusCode()).isEqualTo(405);
            assertThat(get.headers().firstValue("Allow")).hasValue("POST");
            HttpResponse<byte[]> path = HTTP.send(
                    HttpRequest.newBuilder(URI.create(s.uri() + "/v2/models"))
                            .POST(HttpRequest.BodyPublishers.ofString("{}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(path.statusCode()).isEqualTo(404);
            assertThat(text(path)).contains("/v2/models is not an endpoint of the setup authority");
            assertThat(rawPost(s, "Content-Length: 1000000000"))
                    .startsWith("HTTP/1.1 413")
                    .contains("the request body exceeds 65536 bytes");
            assertThat(rawPost(s, "Content-Length: lots")).startsWith("HTTP/1.1 400"); // the HTTP layer's own check
            assertThat(s.sessions()).isZero();
            assertSetupWorks(s, BOB);
            assertSetupWorks(s, ALICE);
        }
    }

    /** A POST with Alice's token, the given header and no body, over a plain socket; the whole reply. */
    static String rawPost(SetupServer s, String header) throws Exception {
        try (Socket socket = new Socket(s.uri().getHost(), s.uri().getPort())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + SetupServer.PATH + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ALICE + "\r\n"
                            + header + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void beyondLoopbackTheServerNeedsTlsAndTokens() throws Exception {
        assertThatThrownBy(() -> SetupServer.start(AUTHORITY, SetupServer.Options.secure("0.0.0.0", 0, CLIENTS)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only with TLS (--tls-keystore FILE)");
        assertThatThrownBy(() -> SetupServer.start(
                        AUTHORITY,
                        SetupServer.Options.secure("0.0.0.0", 0, null).withTls(SSLContext.getDefault())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--insecure-no-auth is for loopback only");
        // on loopback, without tokens, every setup is the anonymous client's
        try (SetupServer s = SetupServer.start(AUTHORITY, SetupServer.Options.secure("127.0.0.1", 0, null))) {
            assertSetupWorks(s, null);
            assertThat(s.handedOut(SetupServer.ANONYMOUS, ModelName.LM_HEAD)).isEqualTo(41);
        }
    }
}
