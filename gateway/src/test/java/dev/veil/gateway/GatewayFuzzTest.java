package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.server.JsonFuzz;
import dev.veil.server.TestHttp;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The gateway's JSON endpoints fuzzed over real sockets with mutated requests (wrong types, odd messages, junk):
 * never a crash, a hang or a 5xx; always 200 or an OpenAI error object.
 */
class GatewayFuzzTest {

    static Path dir;
    static PrivateChatFixture chat;
    static URI gateway;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("veil-gateway-fuzz");
        chat = PrivateChatFixture.start(dir);
        gateway = chat.gatewayUri();
    }

    @AfterContainer
    static void stop() throws Exception {
        chat.close();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> messages = Arbitraries.of(
                "[{\"role\": \"user\", \"content\": \"hi\"}]",
                "[]",
                "[{}]",
                "[{\"role\": \"user\"}]",
                "[{\"role\": 1, \"content\": \"x\"}]",
                "[{\"role\": \"assistant\", \"content\": \"x\"}]",
                "[{\"role\": \"system\", \"content\": [{\"type\": \"text\", \"text\": \"s\"}]}]",
                "[{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]",
                "\"hi\"",
                "null",
                "[[]]");
        Arbitrary<String> values = JsonFuzz.values(-3, 40, "\"veil-test\"");
        Arbitrary<String> fields = Arbitraries.of(
                "max_tokens",
                "temperature",
                "top_p",
                "top_k",
                "seed",
                "stop",
                "stream",
                "stream_options",
                "n",
                "logprobs",
                "tools",
                "veil_untrusted",
                "prompt",
                "max_completion_tokens",
                "whatever");
        Arbitrary<String> extra = JsonFuzz.members(fields, values, 4).map(m -> m.isEmpty() ? "" : "," + m);
        Arbitrary<String> chats = Arbitraries.oneOf(messages, messages)
                .flatMap(msgs -> extra.map(
                        e -> "{\"model\": \"veil-test\", \"messages\": " + msgs + ", \"max_tokens\": 2" + e + "}"));
        Arbitrary<String> junk = Arbitraries.strings().ofMaxLength(50);
        return Arbitraries.oneOf(chats, chats, chats, junk);
    }

    @Property(tries = 80)
    void neverA5xx(@ForAll("bodies") String body) throws Exception {
        for (String path : new String[] {"/v1/chat/completions", "/v1/completions"}) {
            var response = TestHttp.post(gateway.resolve(path), body);
            assertThat(response.status())
                    .as(path + " " + body + " -> " + response.body())
                    .isIn(200, 400, 404);
            if (response.status() >= 400)
                assertThat(response.json().get("error").get("message").asText()).isNotBlank();
        }
    }
}
