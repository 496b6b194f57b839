package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.RawHttp;
import dev.veil.server.TestHttp;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Who may use the gateway and what it hands out: the untrusted view only when the operator allows it, no foreign Host
 * (DNS rebinding) or Origin, the API key when one is set, bodies refused from their Content-Length, a bounded number
 * of requests parsed at once.
 */
class GatewayAccessTest extends PrivateChatTest {

    /** Another gateway on the fixture's server, with other options. */
    static GatewayServer gateway(UnaryOperator<GatewayOptions> options) throws Exception {
        var backend = new AloePriBackend(
                chat.key.permutation(), VllmClient.connect(chat.server.uri(), null, VllmClient.Timeouts.defaults()));
        return GatewayServer.start(
                options.apply(GatewayOptions.defaults(PrivateChatFixture.MODEL).withAddress("127.0.0.1", 0)),
                chat.tokenizer,
                backend);
    }

    static ObjectNode hello() {
        ObjectNode r = GatewayEndToEndTest.chatRequest("Hello there", false);
        r.put("max_tokens", 2);
        return r;
    }

    @Test
    void theUntrustedViewIsOffByDefaultAndThePageIsTold() throws Exception {
        ObjectNode ask = hello();
        ask.put("veil_untrusted", true);
        var refused = TestHttp.post(gateway.resolve("/v1/chat/completions"), ask);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.json().get("error").get("message").asText()).contains("--show-untrusted");
        assertThat(refused.json().get("error").get("param").asText()).isEqualTo("veil_untrusted");
        var plain = TestHttp.post(gateway.resolve("/v1/chat/completions"), hello());
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.json().has("veil_untrusted")).isFalse();
        JsonNode config = TestHttp.get(gateway.resolve("/veil/config")).json();
        assertThat(config.get("show_untrusted").asBoolean()).isFalse();
        assertThat(config.get("api_key_required").asBoolean()).isFalse();
        assertThat(config.get("mode").asText()).isEqualTo("aloepri");

        try (GatewayServer shown = gateway(o -> o.withShowUntrusted(true))) {
            assertThat(TestHttp.get(shown.uri().resolve("/veil/config"))
                            .json()
                            .get("show_untrusted")
                            .asBoolean())
                    .isTrue();
            var seen = TestHttp.post(shown.uri().resolve("/v1/chat/completions"), ask);
            assertThat(seen.status()).isEqualTo(200);
            assertThat(seen.json().get("veil_untrusted").get("prompt_token_ids"))
                    .isNotEmpty();
        }
    }

    @Test
    void aForeignHostIsRefusedAndLocalNamesAreServed() throws Exception {
        int port = gateway.getPort();
        var rebound = RawHttp.exchange(gateway, get("/v1/models", "attacker.example:" + port, null));
        assertThat(rebound.status()).isEqualTo(403);
        assertThat(rebound.body()).contains("host_not_allowed").contains("--allowed-host");
        assertThat(RawHttp.exchange(gateway, get("/", "evil.test", null)).status())
                .isEqualTo(403);
        for (String host : new String[] {"localhost:" + port, "127.0.0.1:" + port, "LOCALHOST", "[::1]:" + port})
            assertThat(RawHttp.exchange(gateway, get("/v1/models", host, null)).status())
                    .as(host)
                    .isEqualTo(200);
        try (GatewayServer named = gateway(o -> o.withAllowedHosts(Set.of("Veil.Internal")))) {
            assertThat(RawHttp.exchange(named.uri(), get("/v1/models", "veil.internal:8080", null))
                            .status())
                    .isEqualTo(200);
            assertThat(RawHttp.exchange(named.uri(), get("/v1/models", "attacker.example", null))
                            .status())
                    .isEqualTo(403);
        }
    }

    @Test
    void crossOriginBrowserRequestsAreRefused() throws Exception {
        String self = "127.0.0.1:" + gateway.getPort();
        String body = TestHttp.JSON.writeValueAsString(hello());
        var foreign = RawHttp.exchange(gateway, post("/v1/chat/completions", self, "http://attacker.example", body));
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.body()).contains("origin_not_allowed");
        assertThat(RawHttp.exchange(gateway, post("/v1/chat/completions", self, "null", body))
                        .status())
                .isEqualTo(403);
        assertThat(RawHttp.exchange(gateway, post("/v1/chat/completions", self, "http://127.0.0.1:1", body))
                        .status())
                .isEqualTo(403);
        var own = RawHttp.exchange(gateway, post("/v1/chat/completions", self, "http://" + self, body));
        assertThat(own.status()).as(own.body()).isEqualTo(200);
    }

    @Test
    void theApiKeyIsRequiredOnTheApiWhenSet() throws Exception {
        try (GatewayServer keyed = gateway(o -> o.withApiKey("s3cret-key"))) {
            URI models = keyed.uri().resolve("/v1/models");
            var none = TestHttp.get(models);
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.json().get("error").get("code").asText()).isEqualTo("invalid_api_key");
            assertThat(none.json().get("error").get("type").asText()).isEqualTo("invalid_request_error");
            assertThat(TestHttp.send(HttpRequest.newBuilder(models)
                                    .header("Authorization", "Bearer s3cret-kez")
                                    .build())
                            .status())
                    .isEqualTo(401);
            assertThat(TestHttp.send(HttpRequest.newBuilder(models)
                                    .header("Authorization", "Bearer s3cret-key")
                                    .build())
                            .status())
                    .isEqualTo(200);
            var chatCall = HttpRequest.newBuilder(keyed.uri().resolve("/v1/chat/completions"))
                    .header("Authorization", "Bearer s3cret-key")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(TestHttp.JSON.writeValueAsString(hello())))
                    .build();
            assertThat(TestHttp.send(chatCall).status()).isEqualTo(200);
            // the page and its config need no key: the page asks for it
            assertThat(TestHttp.get(keyed.uri()).status()).isEqualTo(200);
            assertThat(TestHttp.get(keyed.uri().resolve("/veil/config"))
                            .json()
                            .get("api_key_required")
                            .asBoolean())
                    .isTrue();
            assertThat(TestHttp.get(keyed.uri().resolve("/chat.js")).body())
                    .contains("sessionStorage", "Authorization");
        }
    }

    @Test
    void aHugeContentLengthIsRefusedBeforeAnyBodyArrives() throws Exception {
        try (Socket s = RawHttp.open(gateway)) {
            s.getOutputStream()
                    .write(
                            ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                            + "Content-Length: 10000000000\r\n\r\n{")
                                    .getBytes(StandardCharsets.US_ASCII));
            var reply = RawHttp.read(s);
            assertThat(reply.status()).isEqualTo(413);
            assertThat(reply.body())
                    .contains("exceeds 1048576 bytes"); // the limit follows the context: 512 tokens here
        }
        // a body a little over the limit is read and dropped: an ordinary client gets its 413
        var over = TestHttp.post(
                gateway.resolve("/v1/chat/completions"),
                "{\"model\": \"veil-test\", \"messages\": [{\"role\": \"user\", " + "\"content\": \""
                        + "x".repeat(1 << 20) + "\"}]}");
        assertThat(over.status()).isEqualTo(413);
        assertThat(TestHttp.post(gateway.resolve("/v1/chat/completions"), hello())
                        .status())
                .isEqualTo(200);
    }

    @Test
    void requestsBeyondTheParsingSlotsGet503WithRetryAfter() throws Exception {
        try (GatewayServer narrow = gateway(o -> o.withLimits(0, 1, Duration.ZERO))) {
            String body = TestHttp.JSON.writeValueAsString(hello());
            narrow.parsingSlots().acquire(); // another request is being parsed
            var busy = RawHttp.exchange(narrow.uri(), post("/v1/chat/completions", "127.0.0.1", null, body));
            assertThat(busy.status()).isEqualTo(503);
            assertThat(busy.head()).containsIgnoringCase("Retry-After: 1");
            narrow.parsingSlots().release();
            assertThat(RawHttp.exchange(narrow.uri(), post("/v1/chat/completions", "127.0.0.1", null, body))
                            .status())
                    .isEqualTo(200);
        }
        // a body that trickles in holds no slot: another request is served meanwhile
        try (GatewayServer narrow = gateway(o -> o.withLimits(0, 1, Duration.ZERO));
                Socket slow = RawHttp.open(narrow.uri())) {
            String body = TestHttp.JSON.writeValueAsString(hello());
            slow.getOutputStream()
                    .write((post("/v1/chat/completions", "127.0.0.1", null, body)
                                    .substring(0, 200))
                            .getBytes(StandardCharsets.UTF_8));
            slow.getOutputStream().flush();
            assertThat(RawHttp.exchange(narrow.uri(), post("/v1/chat/completions", "127.0.0.1", null, body))
                            .status())
                    .isEqualTo(200);
        }
    }

    static String get(String path, String host, String origin) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + (origin == null ? "" : "Origin: " + origin + "\r\n") + "Connection: close\r\n\r\n";
    }

    static String post(String path, String host, String origin, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + (origin == null ? "" : "Origin: " + origin + "\r\n")
                + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\nConnection: close\r\n\r\n" + body;
    }
}
