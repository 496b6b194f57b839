package dev.veil.server;

import static dev.veil.server.TestServers.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.TestModels;
import dev.veil.engine.Transformer;
import dev.veil.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Continuous batching: sequences that arrive while others run join the running batch, every pass over the weights
 * carries all of them, and each sequence's tokens are exactly those of its run alone.
 */
class ContinuousBatchingTest {

    static final int SEQUENCES = 16, TOKENS = 12;

    /** Qwen2, and Qwen3-MoE, whose rows in one pass each choose their own experts. */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3Moe"})
    void sequencesShareEveryPassAndEachGetsItsSoloTokens(String model) throws Exception {
        ModelConfig c = TestModels.all().get(model);
        var backend = TestServers.backend(c, 21);
        Transformer solo = new Transformer(backend, TestServers.PARALLEL);
        TestServers.Gate gate = new TestServers.Gate(backend);
        SplittableRandom random = new SplittableRandom(3);
        List<int[]> prompts = new ArrayList<>();
        List<SamplingParams> sampling = new ArrayList<>();
        for (int i = 0; i < SEQUENCES; i++) {
            prompts.add(random.ints(3 + random.nextInt(10), 0, c.vocabSize()).toArray());
            sampling.add(i % 2 == 0 ? SamplingParams.GREEDY : new SamplingParams(0.9, 20, 0.95, 100 + i));
        }
        try (InferenceServer server = TestServers.start(
                        new Transformer(gate, TestServers.PARALLEL), List.of(), TestServers.options("q"));
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            var uri = server.uri().resolve("/v1/completions");
            gate.hold();
            List<Future<JsonNode>> answers = new ArrayList<>();
            for (int i = 0; i < SEQUENCES; i++) {
                ObjectNode r = TestHttp.JSON.createObjectNode();
                for (int id : prompts.get(i)) r.withArray("prompt").add(id);
                r.put("max_tokens", TOKENS);
                r.put("temperature", sampling.get(i).temperature());
                r.put("top_k", sampling.get(i).topK());
                r.put("top_p", sampling.get(i).topP());
                r.put("seed", sampling.get(i).seed());
                answers.add(clients.submit(() -> TestHttp.post(uri, r).json()));
                if (i == 0) await(() -> server.metrics().running() == 1, "the first sequence runs (held at the gate)");
            }
            await(() -> server.metrics().waiting() == SEQUENCES - 1, "the others wait for the next pass");
            gate.release();
            for (int i = 0; i < SEQUENCES; i++) {
                JsonNode tokens = answers.get(i).get().get("choices").get(0).get("token_ids");
                int[] got = new int[tokens.size()];
                for (int t = 0; t < got.length; t++) got[t] = tokens.get(t).asInt();
                int[] alone = new Generator(solo)
                        .generate(prompts.get(i), new GenerationOptions(TOKENS, sampling.get(i), Set.of()))
                        .outputIds();
                assertThat(got).as("sequence %d", i).containsExactly(alone);
            }
            // each sequence was in TOKENS passes; they were all in the same ones after the first
            assertThat(server.metrics().batchedSequences()).isEqualTo((long) SEQUENCES * TOKENS);
            assertThat(server.metrics().passes()).isEqualTo(TOKENS + 1);
        }
    }
}
