package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The completions endpoint fuzzed over real sockets: random JSON-ish bodies (mutated valid requests, wrong types,
 * junk bytes) never crash or hang the server and never get a 5xx; each gets 200 or a 4xx with an error object.
 */
class CompletionFuzzTest {

    static final InferenceServer server = TestServers.tinyLlama();
    static final URI completions = server.uri().resolve("/v1/completions");

    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> values = Arbitraries.oneOf(
                JsonFuzz.values(-5, 400, "[[]]", "[1, [2]]", "-0", "[1, 2, 3]", "[[1, 2], [3]]"),
                Arbitraries.longs().map(String::valueOf));
        Arbitrary<String> fields = Arbitraries.of(
                "prompt",
                "max_tokens",
                "temperature",
                "top_p",
                "top_k",
                "seed",
                "stop_token_ids",
                "ignore_eos",
                "stream",
                "stream_options",
                "return_token_ids",
                "n",
                "model",
                "logprobs",
                "stop",
                "echo",
                "unknown");
        Arbitrary<String> objects = JsonFuzz.members(fields, values, 6).map(m -> "{" + m + "}");
        Arbitrary<String> valid = Arbitraries.of("{\"prompt\": [1, 2, 3], \"max_tokens\": 2}");
        Arbitrary<String> truncated = Arbitraries.integers()
                .between(0, 38)
                .map(n -> "{\"prompt\": [1, 2, 3], \"max_tokens\": 2}".substring(0, n));
        Arbitrary<String> junk = Arbitraries.strings().ofMaxLength(60);
        return Arbitraries.oneOf(objects, objects, valid, truncated, junk);
    }

    @Property(tries = 150)
    void neverA5xx(@ForAll("bodies") String body) throws Exception {
        var response = TestHttp.post(completions, body);
        assertThat(response.status()).as(body).isIn(200, 400, 404, 413);
        if (response.status() == 200 && !body.contains("\"stream\":true"))
            assertThat(response.json().has("choices")).isTrue();
        if (response.status() >= 400)
            assertThat(response.json().get("error").get("message").asText()).isNotBlank();
    }
}
