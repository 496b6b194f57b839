package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.Generation.FinishReason;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    @AutoClose
    private static final Parallel PARALLEL = new Parallel(2);

    private static final ModelConfig C = TestModels.qwen2();
    private static final Transformer MODEL =
            new Transformer(new LocalLinearBackend(C, TestModels.random(C, DType.F32, 5), PARALLEL), PARALLEL);
    private static final int[] PROMPT = {11, 22, 33, 44, 55, 66, 77};

    /** The reference model's greedy continuation: argmax, feed back, repeat. */
    private static int[] referenceGreedy(int[] prompt, int n) {
        ReferenceModel ref = new ReferenceModel(C, TestModels.random(C, DType.F32, 5));
        double[] logits = null;
        for (int t : prompt) logits = ref.step(t);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
            out[i] = best;
            logits = ref.step(best);
        }
        return out;
    }

    @Test
    void greedyGenerationEqualsTheReferenceAndStreamsEveryToken() {
        List<Integer> streamed = new ArrayList<>();
        Generation g = new Generator(MODEL)
                .generate(
                        PROMPT,
                        new GenerationOptions(24, SamplingParams.GREEDY, Set.of(), 3),
                        streamed::add,
                        StopCondition.NEVER);
        assertThat(g.outputIds()).containsExactly(referenceGreedy(PROMPT, 24));
        assertThat(streamed)
                .containsExactly(Arrays.stream(g.outputIds()).boxed().toArray(Integer[]::new));
        assertThat(g.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(g.promptIds()).containsExactly(PROMPT);
        assertThat(g.timings().promptTokens()).isEqualTo(7);
        assertThat(g.timings().generatedTokens()).isEqualTo(24);
    }

    @Test
    void prefillChunkSizeDoesNotChangeTheOutput() {
        int[] a = new Generator(MODEL)
                .generate(PROMPT, new GenerationOptions(10, SamplingParams.GREEDY, Set.of(), 1))
                .outputIds();
        int[] b = new Generator(MODEL)
                .generate(PROMPT, new GenerationOptions(10, SamplingParams.GREEDY, Set.of(), 256))
                .outputIds();
        assertThat(a).containsExactly(b);
    }

    @Test
    void stopsOnAnEosIdWhichStaysInTheOutput() {
        int[] greedy = referenceGreedy(PROMPT, 12);
        int eos = greedy[5];
        int firstEos = 0;
        while (greedy[firstEos] != eos) firstEos++;
        Generation g =
                new Generator(MODEL).generate(PROMPT, new GenerationOptions(12, SamplingParams.GREEDY, Set.of(eos)));
        assertThat(g.finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(g.outputIds()).containsExactly(Arrays.copyOf(greedy, firstEos + 1));
    }

    @Test
    void stopConditionSeesEachTokenInOrderAndCanStop() {
        List<Integer> seen = new ArrayList<>();
        Generation g = new Generator(MODEL)
                .generate(
                        PROMPT, new GenerationOptions(50, SamplingParams.GREEDY, Set.of()), TokenListener.NONE, id -> {
                            seen.add(id);
                            return seen.size() == 4;
                        });
        assertThat(g.finishReason()).isEqualTo(FinishReason.STOP_CONDITION);
        assertThat(g.outputIds()).hasSize(4).containsExactly(referenceGreedy(PROMPT, 4));
        assertThat(seen).hasSize(4);
    }

    @Test
    void sampledGenerationIsDeterministicForASeed() {
        GenerationOptions o = new GenerationOptions(20, new SamplingParams(1.2, 40, 0.95, 1234), Set.of());
        int[] a = new Generator(MODEL).generate(PROMPT, o).outputIds();
        int[] b = new Generator(MODEL).generate(PROMPT, o).outputIds();
        int[] other = new Generator(MODEL)
                .generate(PROMPT, new GenerationOptions(20, new SamplingParams(1.2, 40, 0.95, 1235), Set.of()))
                .outputIds();
        assertThat(a).containsExactly(b).isNotEqualTo(other);
    }

    /** PROMPT then up to {@code maxTokens} greedy tokens into {@code cache}, no stop ids. */
    private static Generation greedyInto(KvCache cache, int maxTokens) {
        return new Generator(MODEL)
                .generate(
                        PROMPT,
                        cache,
                        new GenerationOptions(maxTokens, SamplingParams.GREEDY, Set.of()),
                        TokenListener.NONE,
                        StopCondition.NEVER);
    }

    @Test
    void stopsWhenTheContextIsFull() {
        KvCache small = new KvCache(C, 10);
        Generation g = greedyInto(small, 50);
        assertThat(g.finishReason()).isEqualTo(FinishReason.CONTEXT_FULL);
        assertThat(g.outputIds()).hasSize(4); // 3 more positions fit, and the last sampled token needs none
        assertThat(small.size()).isEqualTo(10);
    }

    @Test
    void aPromptLongerThanTheContextFailsClearly() {
        assertThatThrownBy(() -> new Generator(MODEL)
                        .generate(new int[300], new GenerationOptions(5, SamplingParams.GREEDY, Set.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prompt of 300 tokens exceeds the context length 256");
        assertThatThrownBy(() -> new Generator(MODEL)
                        .generate(new int[0], new GenerationOptions(5, SamplingParams.GREEDY, Set.of())))
                .hasMessage("the prompt is empty");
    }

    @Test
    void zeroMaxTokensOnlyPrefills() {
        KvCache cache = MODEL.newCache();
        Generation g = greedyInto(cache, 0);
        assertThat(g.outputIds()).isEmpty();
        assertThat(cache.size()).isEqualTo(PROMPT.length);
    }

    /** A server runs several generations at once on one model and one kernel pool: each gets what it gets alone. */
    @Test
    void concurrentGenerationsShareTheModelAndPool() throws Exception {
        int[][] prompts = {PROMPT, {1, 2, 3}, {200, 100, 50, 25, 12, 6}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2}};
        GenerationOptions o = new GenerationOptions(16, new SamplingParams(0.8, 20, 0.9, 77), Set.of());
        int[][] alone = new int[prompts.length][];
        for (int i = 0; i < prompts.length; i++)
            alone[i] = new Generator(MODEL).generate(prompts[i], o).outputIds();
        int[][] together = new int[prompts.length][];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            int k = i;
            threads.add(Thread.ofPlatform()
                    .start(() -> together[k] =
                            new Generator(MODEL).generate(prompts[k], o).outputIds()));
        }
        for (Thread t : threads) t.join();
        for (int i = 0; i < prompts.length; i++)
            assertThat(together[i]).as("prompt %d", i).containsExactly(alone[i]);
    }
}
