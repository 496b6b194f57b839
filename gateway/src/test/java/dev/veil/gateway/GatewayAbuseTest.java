package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ObfuscateModelDir;
import dev.veil.engine.RawHttp;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.http.HttpLimits;
import dev.veil.model.DType;
import dev.veil.model.ModelFiles;
import dev.veil.server.InferenceServer;
import dev.veil.server.TestHttp;
import dev.veil.server.TestServers;
import dev.veil.tokenizer.Tokenizer;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The abuse suite through the gateway, on loopback: stalled connections, a byte-a-second client, and apps that drop
 * their requests mid-generation, streaming or not — the token server behind must stop computing for them within one
 * pass while another app's answer comes out as it does alone. Both servers run with a 2 s request timeout.
 */
class GatewayAbuseTest {

    static final HttpLimits SHORT = HttpLimits.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30));

    @TempDir
    static Path dir;

    static ModelFiles served;
    static TestServers.Gate gate;
    static InferenceServer server;
    static GatewayServer gatewayServer;
    static URI gateway;

    /** PrivateChatFixture's private chat, with the token server's passes behind a gate and both servers' timeouts short. */
    @BeforeAll
    static void start() throws Exception {
        Path plain = PrivateChatFixture.writePlainModel(dir.resolve("plain"));
        Path obfuscated = dir.resolve("obfuscated");
        AloePriKey key = ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                        plain,
                        obfuscated,
                        dir.resolve("model.key"),
                        AloePriParams.defaults(64).exact().withLambda(1e-9).withExpansion(0))
                .withSeed("fixture")
                .withDtype(DType.F32)
                .withCalibrationTokens(0));
        served = ModelFiles.open(obfuscated);
        gate = new TestServers.Gate(
                new LocalLinearBackend(served.config(), served.weights(), PrivateChatFixture.PARALLEL));
        server = InferenceServer.start(
                new Transformer(gate, PrivateChatFixture.PARALLEL),
                served.generation().eosTokenIds(),
                PrivateChatFixture.serverOptions().withLimits(80, 256).withHttp(SHORT));
        var backend = new AloePriBackend(
                key.permutation(), VllmClient.connect(server.uri(), null, VllmClient.Timeouts.defaults()));
        gatewayServer = GatewayServer.start(
                GatewayOptions.defaults(PrivateChatFixture.MODEL)
                        .withAddress("127.0.0.1", 0)
                        .withHttp(SHORT),
                Tokenizer.load(plain),
                backend);
        gateway = gatewayServer.uri();
    }

    @AfterAll
    static void stop() {
        gate.release();
        gatewayServer.close();
        server.close();
        served.close();
    }

    static void wellBehavedRequestSucceeds() throws Exception {
        var r = TestHttp.post(gateway.resolve("/v1/chat/completions"), GatewayAccessTest.hello());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void hundredTenStalledConnectionsCostLittleMemoryAndAreClosedAfterTheTimeout() throws Exception {
        RawHttp.assertStalledConnectionsAreCheapAndClosed(
                gateway,
                "/v1/chat/completions",
                "{\"model\": ",
                "gateway",
                GatewayAbuseTest::wellBehavedRequestSucceeds);
    }

    @Test
    void aByteASecondClientIsCutOffByTheRequestTimeout() throws Exception {
        String request = GatewayAccessTest.post(
                "/v1/chat/completions", "127.0.0.1", null, TestHttp.JSON.writeValueAsString(GatewayAccessTest.hello()));
        int sent = RawHttp.trickle(gateway, request, 250); // the whole request would take ~1 min
        assertThat(sent).as("bytes sent before the gateway cut the connection").isLessThan(request.length());
        wellBehavedRequestSucceeds();
    }

    @Test
    void droppedStreamsStopUpstreamWithinOneStepAndAnotherAppsAnswerIsUnchanged() throws Exception {
        ObjectNode other = GatewayEndToEndTest.chatRequest("What does the other app get?", false);
        other.put("max_tokens", 8);
        String solo = answer(TestHttp.post(gateway.resolve("/v1/chat/completions"), other));
        var metrics = server.metrics();
        long cancelledBefore = metrics.cancelledSequences();
        long goneBefore = metrics.requests("client_gone");
        List<Socket> dropped = new ArrayList<>();
        List<Socket> kept = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                ObjectNode r = GatewayEndToEndTest.chatRequest("Tell me a story, number " + i, true);
                r.put("max_tokens", i % 2 == 0 ? 400 : 16); // the dropped ones could not finish before they are dropped
                Socket s = RawHttp.open(gateway);
                s.getOutputStream()
                        .write(GatewayAccessTest.post(
                                        "/v1/chat/completions", "127.0.0.1", null, TestHttp.JSON.writeValueAsString(r))
                                .getBytes(StandardCharsets.UTF_8));
                (i % 2 == 0 ? dropped : kept).add(s);
            }
            for (Socket s : dropped) RawHttp.awaitFirstEvent(s); // the gateway has opened each one upstream
            gate.hold(); // the next pass waits: the drops land while it is under way
            CompletableFuture<TestHttp.Response> during =
                    TestHttp.postAsync(gateway.resolve("/v1/chat/completions"), other);
            for (Socket s : dropped) s.close();
            TestServers.await(
                    () -> metrics.requests("client_gone") - goneBefore == 32, "the token server sees all 32 go");
            gate.release();
            TestServers.await(() -> metrics.cancelledSequences() - cancelledBefore == 32, "it cancels all 32");
            assertThat(metrics.maxTokensAfterCancel())
                    .as("tokens generated after the app went away")
                    .isLessThanOrEqualTo(1);
            for (Socket s : kept)
                assertThat(RawHttp.lastEvent(s))
                        .as("a kept stream runs to its end")
                        .isEqualTo("data: [DONE]");
            assertThat(answer(during.get())).isEqualTo(solo);
            TestServers.await(() -> metrics.running() == 0, "every slot is free");
        } finally {
            gate.release();
            for (Socket s : dropped) s.close();
            for (Socket s : kept) s.close();
        }
    }

    @Test
    void aDroppedNonStreamingRequestStopsUpstreamWithinOneStep() throws Exception {
        var metrics = server.metrics();
        long cancelledBefore = metrics.cancelledSequences();
        long goneBefore = metrics.requests("client_gone");
        List<Socket> dropped = new ArrayList<>();
        try {
            gate.hold();
            for (int i = 0; i < 8; i++) {
                ObjectNode r = GatewayEndToEndTest.chatRequest("A long answer, please: " + i, false);
                r.put("max_tokens", 400);
                Socket s = RawHttp.open(gateway);
                s.getOutputStream()
                        .write(GatewayAccessTest.post(
                                        "/v1/chat/completions", "127.0.0.1", null, TestHttp.JSON.writeValueAsString(r))
                                .getBytes(StandardCharsets.UTF_8));
                dropped.add(s);
            }
            TestServers.await(() -> metrics.running() + metrics.waiting() == 8, "all 8 reach the token server");
            for (Socket s : dropped) s.close();
            TestServers.await(
                    () -> metrics.requests("client_gone") - goneBefore == 8, "the token server sees all 8 go");
            gate.release();
            TestServers.await(() -> metrics.cancelledSequences() - cancelledBefore == 8, "it cancels all 8");
            assertThat(metrics.maxTokensAfterCancel()).isLessThanOrEqualTo(1);
        } finally {
            gate.release();
            for (Socket s : dropped) s.close();
        }
        wellBehavedRequestSucceeds();
    }

    private static String answer(TestHttp.Response r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("choices").get(0).get("message").get("content").asText();
    }
}
