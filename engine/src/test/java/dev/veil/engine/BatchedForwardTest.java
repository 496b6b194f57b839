package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.Transformer.Chunk;
import dev.veil.engine.Transformer.Logits;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Continuous batching: several sequences' prompt chunks and decode steps in one pass over the weights give each
 * sequence the logits it gets when run alone — bit for bit on a batch-invariant backend, up to rounding on the fastest
 * kernels (whose summation order depends on the number of rows).
 */
class BatchedForwardTest {

    @AutoClose
    private static final Parallel PARALLEL = new Parallel(3);

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("llama", TestModels.llama(), DType.F32),
                Arguments.of("qwen2", TestModels.qwen2(), DType.BF16),
                Arguments.of("oddHeadDim", TestModels.oddHeadDim(), DType.F16),
                Arguments.of("qwen3", TestModels.qwen3(), DType.BF16),
                Arguments.of("qwen3Moe", TestModels.qwen3Moe(), DType.F32));
    }

    private static Transformer engine(ModelConfig c, DType dtype) {
        return engine(c, dtype, Batching.INVARIANT);
    }

    private static Transformer engine(ModelConfig c, DType dtype, Batching batching) {
        return new Transformer(
                new LocalLinearBackend(c, TestModels.random(c, dtype, 11), PARALLEL, batching), PARALLEL);
    }

    private static int[] tokens(ModelConfig c, int n, long seed) {
        return new SplittableRandom(seed).ints(n, 0, c.vocabSize()).toArray();
    }

    /**
     * A backend that hides the routing (every expert on every row, only the chosen outputs kept) gives the same
     * logits bit for bit: the extra rows are computed and dropped, and on the batch-invariant kernels a row's product
     * does not depend on which other rows share the call.
     */
    @Test
    void everyExpertOnEveryRowChangesNothing() {
        ModelConfig c = TestModels.qwen3Moe();
        LocalLinearBackend local =
                new LocalLinearBackend(c, TestModels.random(c, DType.F32, 11), PARALLEL, Batching.INVARIANT);
        int[] calls = new int[2]; // expert products, applyExperts calls
        ForwardingBackend every = new ForwardingBackend(local) {
            @Override
            public void coverExperts(int layer, int n, int k, int experts, int[] chosen, boolean[] sent) {
                Arrays.fill(sent, true);
            }

            @Override
            public void applyExperts(LinearOp op, int layer, int[] experts, float[][] x, int[] n, float[][] out) {
                calls[0] += experts.length;
                calls[1]++;
                super.applyExperts(op, layer, experts, x, n, out);
            }
        };
        int[] prompt = tokens(c, 9, 21);
        float[] plain = new Transformer(local, PARALLEL).forwardAll(prompt, new KvCache(c));
        float[] hidden = new Transformer(every, PARALLEL).forwardAll(prompt, new KvCache(c));
        assertThat(hidden).containsExactly(plain);
        assertThat(calls[0])
                .isEqualTo(2 * c.moe().numExperts() * 2); // 2 sparse layers x every expert x (gate_up, down)
        assertThat(calls[1]).isEqualTo(2 * 2); // all of a layer's experts in one call per projection
    }

    /** A long prompt's experts are split into calls of at most the cap's rows; an expert over the cap goes alone. */
    @Test
    void expertGroupsStayWithinTheRowCap() {
        int[] used = {0, 2, 3, 5}, count = {3, 0, 3, 2, 0, 9};
        assertThat(Transformer.groupEnd(used, 4, count, 0, 6)).isEqualTo(2); // 3 + 3
        assertThat(Transformer.groupEnd(used, 4, count, 2, 6)).isEqualTo(3); // 2, and 9 does not fit
        assertThat(Transformer.groupEnd(used, 4, count, 3, 6)).isEqualTo(4); // 9 alone
        assertThat(Transformer.groupEnd(used, 4, count, 0, 100)).isEqualTo(4);
    }

    /** A backend that would withhold a row from an expert it chose is refused, not silently lossy. */
    @Test
    void aCoverThatDropsAChosenExpertIsRefused() {
        ModelConfig c = TestModels.qwen3Moe();
        LocalLinearBackend local =
                new LocalLinearBackend(c, TestModels.random(c, DType.F32, 11), PARALLEL, Batching.INVARIANT);
        ForwardingBackend dropping = new ForwardingBackend(local) {
            @Override
            public void coverExperts(int layer, int n, int k, int experts, int[] chosen, boolean[] sent) {
                sent[chosen[0]] = false;
            }
        };
        assertThatThrownBy(() -> new Transformer(dropping, PARALLEL).forwardAll(tokens(c, 3, 5), new KvCache(c)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("withheld row 0");
    }

    /** One sequence alone: the whole prompt in one pass, then one token per pass; every logits row it produced. */
    private static List<float[]> alone(Transformer engine, int[] prompt, int[] continuation) {
        List<float[]> out = new ArrayList<>();
        KvCache cache = engine.newCache();
        out.add(engine.forward(prompt, cache));
        for (int token : continuation) out.add(engine.forward(new int[] {token}, cache));
        return out;
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("models")
    void batchedSequencesMatchTheirSoloRunsBitForBit(String name, ModelConfig c, DType dtype) {
        Transformer engine = engine(c, dtype);
        int[] promptA = tokens(c, 5, 1), promptB = tokens(c, 9, 2), promptC = tokens(c, 3, 3);
        int[] nextA = tokens(c, 4, 4), nextB = tokens(c, 3, 5), nextC = tokens(c, 4, 6);
        List<float[]> soloA = alone(engine, promptA, nextA),
                soloB = alone(engine, promptB, nextB),
                soloC = alone(engine, promptC, nextC);

        KvCache a = engine.newCache(), b = engine.newCache(), c3 = engine.newCache();
        // pass 1: A's prompt, the first 4 tokens of B's prompt (no logits), C's prompt
        float[][] r = engine.forward(List.of(
                new Chunk(promptA, a, Logits.LAST),
                new Chunk(Arrays.copyOfRange(promptB, 0, 4), b, Logits.NONE),
                new Chunk(promptC, c3, Logits.LAST)));
        assertThat(r[0]).containsExactly(soloA.get(0));
        assertThat(r[1]).isNull();
        assertThat(r[2]).containsExactly(soloC.get(0));
        // pass 2: decode A and C around the rest of B's prompt (a prefill chunk mixed with decode steps)
        r = engine.forward(List.of(
                new Chunk(new int[] {nextA[0]}, a, Logits.LAST),
                new Chunk(Arrays.copyOfRange(promptB, 4, 9), b, Logits.LAST),
                new Chunk(new int[] {nextC[0]}, c3, Logits.LAST)));
        assertThat(r[0]).containsExactly(soloA.get(1));
        assertThat(r[1]).containsExactly(soloB.get(0));
        assertThat(r[2]).containsExactly(soloC.get(1));
        // passes 3..: pure decode steps, in a different order each time, one sequence leaving early
        for (int step = 1; step < 3; step++) {
            r = engine.forward(List.of(
                    new Chunk(new int[] {nextC[step]}, c3, Logits.LAST),
                    new Chunk(new int[] {nextB[step - 1]}, b, Logits.LAST),
                    new Chunk(new int[] {nextA[step]}, a, Logits.LAST)));
            assertThat(r[0]).as("C step %d", step).containsExactly(soloC.get(step + 1));
            assertThat(r[1]).as("B step %d", step).containsExactly(soloB.get(step));
            assertThat(r[2]).as("A step %d", step).containsExactly(soloA.get(step + 1));
        }
        r = engine.forward(List.of(new Chunk(new int[] {nextA[3]}, a, Logits.LAST)));
        assertThat(r[0]).containsExactly(soloA.get(4));
        assertThat(new int[] {a.size(), b.size(), c3.size()}).containsExactly(9, 11, 6);
    }

    /** On the fastest kernels a decode step in a batch of 8 (blocked GEMM) differs from a solo one only by rounding. */
    @Test
    void onTheFastestKernelsBatchedAndSoloAgreeToRounding() {
        ModelConfig c = TestModels.llama();
        Transformer engine = engine(c, DType.F32, Batching.FASTEST);
        List<KvCache> caches = new ArrayList<>();
        List<Chunk> step = new ArrayList<>();
        List<float[]> solo = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] prompt = tokens(c, 3 + i, 20 + i);
            KvCache cache = engine.newCache();
            engine.forward(prompt, cache);
            KvCache alone = engine.newCache();
            engine.forward(prompt, alone);
            solo.add(engine.forward(new int[] {i + 1}, alone));
            caches.add(cache);
            step.add(new Chunk(new int[] {i + 1}, cache, Logits.LAST));
        }
        float[][] batched = engine.forward(step);
        for (int i = 0; i < 8; i++)
            assertThat(Close.relativeError(batched[i], solo.get(i)))
                    .as("sequence %d", i)
                    .isLessThan(1e-5);
    }

    @Test
    void allLogitsOfABatchedChunkMatchForwardAll() {
        ModelConfig c = TestModels.llama();
        Transformer engine = engine(c, DType.F32);
        int[] prompt = tokens(c, 6, 9), other = tokens(c, 2, 10);
        float[] expected = engine.forwardAll(prompt, engine.newCache());
        float[][] r = engine.forward(List.of(
                new Chunk(other, engine.newCache(), Logits.LAST), new Chunk(prompt, engine.newCache(), Logits.ALL)));
        assertThat(r[1]).containsExactly(expected);
        assertThat(r[0]).hasSize(c.vocabSize());
    }

    @Test
    void aCacheTwiceInOneBatchIsRefused() {
        ModelConfig c = TestModels.llama();
        Transformer engine = engine(c, DType.F32);
        KvCache cache = engine.newCache();
        assertThatThrownBy(() -> engine.forward(List.of(
                        new Chunk(new int[] {1}, cache, Logits.LAST), new Chunk(new int[] {2}, cache, Logits.LAST))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cache appears twice");
        assertThat(cache.size()).isZero();
    }

    @Test
    void aSequenceOverflowingItsContextRefusesTheBatchAndLeavesEveryCacheUnchanged() {
        ModelConfig c = TestModels.llama();
        Transformer engine = engine(c, DType.F32);
        KvCache small = new KvCache(c, 4), other = engine.newCache();
        engine.forward(new int[] {1, 2, 3}, small);
        engine.forward(new int[] {4}, other);
        assertThatThrownBy(() -> engine.forward(List.of(
                        new Chunk(new int[] {5}, other, Logits.LAST), new Chunk(new int[] {6, 7}, small, Logits.LAST))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("context length 4");
        assertThat(small.size()).isEqualTo(3);
        assertThat(other.size()).isEqualTo(1);
        assertThatThrownBy(() -> engine.forward(List.of())).hasMessageContaining("no sequences");
    }
}
