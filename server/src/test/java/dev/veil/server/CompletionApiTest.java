package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.TestModels;
import dev.veil.engine.Transformer;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The vLLM-shaped completions API over real sockets, checked token for token against the engine's own generator. */
class CompletionApiTest {

    static final int[] PROMPT = {17, 42, 99, 5, 230, 64, 8, 150};
    static Transformer model;
    static InferenceServer server;
    static URI completions;

    @BeforeAll
    static void start() throws Exception {
        model = TestServers.model(TestModels.llama(), 5);
        server = TestServers.start(model, List.of(2), TestServers.options("tiny-llama"));
        completions = server.uri().resolve("/v1/completions");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static int[] local(int[] prompt, int maxTokens, SamplingParams sampling, Set<Integer> stop) {
        return new Generator(model)
                .generate(prompt, new GenerationOptions(maxTokens, sampling, stop))
                .outputIds();
    }

    static ObjectNode request(int[] prompt, int maxTokens) {
        ObjectNode r = TestHttp.JSON.createObjectNode();
        r.put("model", "tiny-llama");
        ArrayNode p = r.putArray("prompt");
        for (int id : prompt) p.add(id);
        r.put("max_tokens", maxTokens);
        r.put("temperature", 0);
        return r;
    }

    /** The token ids of the one choice the server completes {@code request} with. */
    static int[] completedIds(ObjectNode request) throws Exception {
        return ids(
                TestHttp.post(completions, request).json().get("choices").get(0).get("token_ids"));
    }

    static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    @Test
    void greedyCompletionIsTheEnginesGreedyGenerationInVllmsShape() throws Exception {
        ObjectNode r = request(PROMPT, 12);
        r.put("return_token_ids", true);
        var response = TestHttp.post(completions, r);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.contentType()).startsWith("application/json");
        JsonNode body = response.json();
        assertThat(body.get("id").asText()).startsWith("cmpl-");
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.get("model").asText()).isEqualTo("tiny-llama");
        assertThat(body.get("created").asLong()).isPositive();
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("text").asText()).isEmpty();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.get("stop_reason").isNull()).isTrue();
        assertThat(ids(choice.get("token_ids"))).containsExactly(local(PROMPT, 12, SamplingParams.GREEDY, Set.of(2)));
        assertThat(ids(choice.get("prompt_token_ids"))).containsExactly(PROMPT);
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(8);
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(12);
        assertThat(body.get("usage").get("total_tokens").asInt()).isEqualTo(20);
    }

    @Test
    void streamSendsOneTokenPerChunkThenUsageThenDone() throws Exception {
        ObjectNode r = request(PROMPT, 10);
        r.put("stream", true);
        r.put("return_token_ids", true);
        r.putObject("stream_options").put("include_usage", true);
        var events = TestHttp.stream(completions, r);
        assertThat(events.status()).isEqualTo(200);
        assertThat(events.done()).isTrue();
        List<JsonNode> chunks = events.data();
        assertThat(chunks).hasSize(11);
        List<Integer> streamed = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            JsonNode c = chunks.get(i).get("choices").get(0);
            assertThat(c.get("token_ids")).hasSize(1);
            streamed.add(c.get("token_ids").get(0).asInt());
            assertThat(c.has("prompt_token_ids"))
                    .as("prompt ids only in the first chunk")
                    .isEqualTo(i == 0);
            assertThat(c.get("finish_reason").isNull()).isEqualTo(i < 9);
        }
        assertThat(ids(chunks.get(0).get("choices").get(0).get("prompt_token_ids")))
                .containsExactly(PROMPT);
        assertThat(chunks.get(9).get("choices").get(0).get("finish_reason").asText())
                .isEqualTo("length");
        assertThat(streamed)
                .containsExactly(Arrays.stream(local(PROMPT, 10, SamplingParams.GREEDY, Set.of(2)))
                        .boxed()
                        .toArray(Integer[]::new));
        JsonNode usage = chunks.get(10);
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(10);
        assertThat(chunks.stream().map(c -> c.get("id").asText()).distinct()).hasSize(1);
    }

    @Test
    void seededSamplingIsTheGeneratorsWithTheSameSeed() throws Exception {
        ObjectNode r = request(PROMPT, 16);
        r.put("temperature", 0.8);
        r.put("top_p", 0.9);
        r.put("top_k", 40);
        r.put("seed", 1234);
        int[] expected = local(PROMPT, 16, new SamplingParams(0.8, 40, 0.9, 1234), Set.of(2));
        assertThat(completedIds(r)).containsExactly(expected);
        assertThat(expected).isNotEqualTo(local(PROMPT, 16, SamplingParams.GREEDY, Set.of(2)));
    }

    /** vLLM's names: the penalties act on the prompt and the sequence's own output, as the engine's generator does. */
    @Test
    void penaltiesAndMinPAreTheGeneratorsWithTheSameSettings() throws Exception {
        ObjectNode greedy = request(PROMPT, 16);
        greedy.put(
                "repetition_penalty", 0.5); // below 1 and negative penalties favour repeats: this random model has none
        greedy.put("presence_penalty", -1);
        greedy.put("frequency_penalty", -0.5);
        int[] expected = local(PROMPT, 16, SamplingParams.GREEDY.withPenalties(0.5, -1, -0.5), Set.of(2));
        assertThat(completedIds(greedy)).containsExactly(expected);
        assertThat(expected).isNotEqualTo(local(PROMPT, 16, SamplingParams.GREEDY, Set.of(2)));

        ObjectNode sampled = request(PROMPT, 16);
        sampled.put("temperature", 1.5);
        sampled.put("min_p", 0.2);
        sampled.put("seed", 77);
        sampled.put("frequency_penalty", -1);
        SamplingParams same = new SamplingParams(1.5, 0, 1, 77, 0.2, 1, 0, -1);
        assertThat(completedIds(sampled)).containsExactly(local(PROMPT, 16, same, Set.of(2)));
    }

    @Test
    void aListOfPromptsGivesOneChoiceEach() throws Exception {
        int[] other = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
        ObjectNode r = request(PROMPT, 6);
        ArrayNode prompts = r.putArray("prompt");
        for (int[] p : List.of(PROMPT, other)) {
            ArrayNode a = prompts.addArray();
            for (int id : p) a.add(id);
        }
        JsonNode body = TestHttp.post(completions, r).json();
        assertThat(body.get("choices")).hasSize(2);
        assertThat(ids(body.get("choices").get(0).get("token_ids")))
                .containsExactly(local(PROMPT, 6, SamplingParams.GREEDY, Set.of(2)));
        assertThat(ids(body.get("choices").get(1).get("token_ids")))
                .containsExactly(local(other, 6, SamplingParams.GREEDY, Set.of(2)));
        assertThat(body.get("choices").get(1).get("index").asInt()).isEqualTo(1);
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(19);
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(12);
    }

    @Test
    void stopTokenIdsEndTheSequenceWithTheStopReason() throws Exception {
        int[] greedy = local(PROMPT, 12, SamplingParams.GREEDY, Set.of(2));
        int stopAt = IntStream.range(1, greedy.length)
                .filter(i -> Arrays.stream(greedy, 0, i).noneMatch(t -> t == greedy[i]))
                .findFirst()
                .orElseThrow();
        ObjectNode r = request(PROMPT, 12);
        r.putArray("stop_token_ids").add(greedy[stopAt]);
        JsonNode choice = TestHttp.post(completions, r).json().get("choices").get(0);
        assertThat(ids(choice.get("token_ids"))).containsExactly(Arrays.copyOf(greedy, stopAt + 1));
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(choice.get("stop_reason").asInt()).isEqualTo(greedy[stopAt]);
    }

    @Test
    void theModelsEosStopsUnlessIgnored() throws Exception {
        int[] greedy = local(PROMPT, 12, SamplingParams.GREEDY, Set.of());
        int eosAt = IntStream.range(1, greedy.length)
                .filter(i -> Arrays.stream(greedy, 0, i).noneMatch(t -> t == greedy[i]))
                .findFirst()
                .orElseThrow();
        try (InferenceServer withEos =
                TestServers.start(model, List.of(greedy[eosAt]), TestServers.options("tiny-llama"))) {
            URI uri = withEos.uri().resolve("/v1/completions");
            JsonNode choice = TestHttp.post(uri, request(PROMPT, 12))
                    .json()
                    .get("choices")
                    .get(0);
            assertThat(ids(choice.get("token_ids"))).containsExactly(Arrays.copyOf(greedy, eosAt + 1));
            assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
            assertThat(choice.get("stop_reason").isNull()).isTrue();
            ObjectNode ignoring = request(PROMPT, 12);
            ignoring.put("ignore_eos", true);
            choice = TestHttp.post(uri, ignoring).json().get("choices").get(0);
            assertThat(ids(choice.get("token_ids"))).containsExactly(greedy);
            assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        }
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        JsonNode models = TestHttp.get(server.uri().resolve("/v1/models")).json();
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data").get(0).get("id").asText()).isEqualTo("tiny-llama");
        assertThat(models.get("data").get(0).get("max_model_len").asInt())
                .isEqualTo(TestModels.llama().maxPositionEmbeddings());
        assertThat(TestHttp.get(server.uri().resolve("/health")).status()).isEqualTo(200);
        TestHttp.post(completions, request(PROMPT, 3));
        var metrics = TestHttp.get(server.uri().resolve("/metrics"));
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.contentType()).startsWith("text/plain");
        assertThat(metrics.body())
                .contains(
                        "# TYPE veil_requests_total counter",
                        "veil_requests_total{outcome=\"ok\"} ",
                        "veil_generation_tokens_total ",
                        "veil_prompt_tokens_total ",
                        "veil_queue_depth 0",
                        "veil_running_sequences 0",
                        "veil_batch_size_bucket{le=\"1.0\"} ",
                        "veil_http_connections ",
                        "veil_pass_seconds_count ",
                        "veil_time_to_first_token_seconds_sum ",
                        "veil_sequence_seconds_bucket{le=\"+Inf\"} ");
        assertThat(server.metrics().generatedTokens()).isGreaterThanOrEqualTo(3);
    }
}
