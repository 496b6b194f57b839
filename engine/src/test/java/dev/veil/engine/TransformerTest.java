package dev.veil.engine;

import static dev.veil.engine.Close.assertClose;
import static dev.veil.engine.Close.relativeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransformerTest {

    @AutoClose
    private static final Parallel PARALLEL = new Parallel(3);

    static Stream<Arguments> configsAndTypes() {
        return TestModels.all().entrySet().stream()
                .flatMap(e -> Stream.of(DType.F32, DType.F16, DType.BF16)
                        .map(t -> Arguments.of(e.getKey(), e.getValue(), t)));
    }

    private static Transformer engine(ModelConfig c, Weights w) {
        return new Transformer(new LocalLinearBackend(c, w, PARALLEL), PARALLEL);
    }

    /** The engine and the double-precision reference on the same random weights. */
    private record Checked(Transformer engine, ReferenceModel ref) {
        static Checked of(ModelConfig c, DType dtype, long seed) {
            Weights w = TestModels.random(c, dtype, seed);
            return new Checked(TransformerTest.engine(c, w), new ReferenceModel(c, w));
        }

        /**
         * {@code prompt} prefilled as one batch into a new cache; the logits of the positions {@code checked} accepts
         * match the reference's (which steps through them all).
         */
        KvCache prefill(int[] prompt, IntPredicate checked, String label) {
            KvCache cache = engine.newCache();
            float[] all = engine.forwardAll(prompt, cache);
            int vocab = engine.config().vocabSize();
            for (int t = 0; t < prompt.length; t++) {
                double[] expected = ref.step(prompt[t]);
                if (checked.test(t))
                    assertClose(
                            Arrays.copyOfRange(all, t * vocab, (t + 1) * vocab),
                            expected,
                            1e-5,
                            label + " position " + t);
            }
            return cache;
        }
    }

    private static int[] tokens(ModelConfig c, int n, long seed) {
        return new SplittableRandom(seed).ints(n, 0, c.vocabSize()).toArray();
    }

    /** The engine against the double-precision reference, token by token, for every config and weight type. */
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("configsAndTypes")
    void decodeMatchesReference(String name, ModelConfig c, DType dtype) {
        Checked m = Checked.of(c, dtype, 42);
        KvCache cache = m.engine().newCache();
        for (int token : tokens(c, 12, 7)) {
            float[] logits = m.engine().forward(new int[] {token}, cache);
            assertClose(logits, m.ref().step(token), 1e-5, name + " " + dtype + " position " + (cache.size() - 1));
        }
        assertThat(cache.size()).isEqualTo(12);
    }

    /** A prompt run as one batch gives every position's logits as token-by-token decoding does. */
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("configsAndTypes")
    void batchedPrefillMatchesReference(String name, ModelConfig c, DType dtype) {
        Checked m = Checked.of(c, dtype, 43);
        // 11 tokens: not a multiple of the kernel's 4-token tile
        KvCache cache = m.prefill(tokens(c, 11, 8), t -> true, name + " " + dtype + " prefill");
        // then decode continues from the batched cache
        float[] next = m.engine().forward(new int[] {3}, cache);
        assertClose(next, m.ref().step(3), 1e-5, name + " decode after prefill");
    }

    /** Past several key blocks (the attention kernel works on 4 blocks at a time, then single blocks). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void longSequenceMatchesReference(String name, ModelConfig c) {
        Checked m = Checked.of(c, DType.BF16, 49);
        KvCache cache = m.prefill(tokens(c, 101, 14), t -> t % 10 == 0 || t > 95, name);
        for (int token : new int[] {1, 2, 3})
            assertClose(m.engine().forward(new int[] {token}, cache), m.ref().step(token), 1e-5, name + " decode");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void batchedPrefillEqualsTokenByTokenDecode(String name, ModelConfig c) {
        Weights w = TestModels.random(c, DType.BF16, 44);
        Transformer engine = engine(c, w);
        int[] prompt = tokens(c, 21, 9);
        KvCache batched = engine.newCache();
        engine.append(Arrays.copyOfRange(prompt, 0, 6), batched); // chunks of 6 and 15 tokens
        float[] last = engine.forward(Arrays.copyOfRange(prompt, 6, 21), batched);
        KvCache stepwise = engine.newCache();
        float[] logits = null;
        for (int token : prompt) logits = engine.forward(new int[] {token}, stepwise);
        assertThat(relativeError(last, logits)).isLessThan(1e-5);
        assertThat(batched.size()).isEqualTo(stepwise.size()).isEqualTo(21);
        for (int l = 0; l < c.numLayers(); l++)
            for (int p = 0; p < 21; p++) {
                assertThat(relativeError(batched.key(l, p), stepwise.key(l, p)))
                        .as("key %d of layer %d", p, l)
                        .isLessThan(1e-5);
                assertThat(relativeError(batched.value(l, p), stepwise.value(l, p)))
                        .as("value %d of layer %d", p, l)
                        .isLessThan(1e-5);
            }
    }

    static Stream<Arguments> configs() {
        return TestModels.all().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    /** Positions come from the cache: rewinding it and re-running reproduces the logits exactly. */
    @Test
    void truncatedCacheRerunsTheSamePositions() {
        ModelConfig c = TestModels.llama();
        Transformer engine = engine(c, TestModels.random(c, DType.F32, 45));
        KvCache cache = engine.newCache();
        engine.append(tokens(c, 10, 10), cache);
        float[] first = engine.forward(new int[] {5, 6, 7}, cache);
        assertThat(cache.size()).isEqualTo(13);
        cache.truncate(10);
        assertThat(engine.forward(new int[] {5, 6, 7}, cache)).containsExactly(first);
        // the same tokens at other positions give other logits (RoPE sees the position)
        cache.truncate(4);
        assertThat(relativeError(engine.forward(new int[] {5, 6, 7}, cache), first))
                .isGreaterThan(1e-3);
    }

    /** GQA: a model whose kv heads are repeated into full multi-head attention gives the same logits. */
    @Test
    void groupedQueryAttentionEqualsRepeatedKvHeads() {
        ModelConfig gqa = TestModels.qwen2();
        Weights w = TestModels.random(gqa, DType.F32, 46);
        ModelConfig mha = ModelConfig.of(
                        gqa.architecture(),
                        gqa.vocabSize(),
                        gqa.hiddenSize(),
                        gqa.intermediateSize(),
                        gqa.numLayers(),
                        gqa.numHeads(),
                        gqa.numHeads(),
                        gqa.headDim())
                .withNorm(gqa.rmsNormEps(), gqa.ropeTheta(), gqa.ropeScaling())
                .withTokens(
                        gqa.maxPositionEmbeddings(),
                        gqa.tieWordEmbeddings(),
                        gqa.attentionBias(),
                        gqa.bosTokenId(),
                        gqa.eosTokenIds())
                .withTorchDtype(gqa.torchDtype());
        Map<String, Tensor> repeated = new LinkedHashMap<>();
        for (String name : w.names()) {
            Tensor t = w.get(name);
            boolean kv = name.contains("k_proj") || name.contains("v_proj");
            repeated.put(name, kv ? repeatHeads(t, gqa) : t);
        }
        int[] prompt = tokens(gqa, 9, 11);
        float[] a = engine(gqa, w).forwardAll(prompt, new KvCache(gqa));
        float[] b = engine(mha, TestModels.of(repeated)).forwardAll(prompt, new KvCache(mha));
        assertThat(relativeError(a, b)).isLessThan(1e-6);
    }

    /** Rows (or bias entries) of each kv head repeated groupSize times, as HF's repeat_kv does to the keys. */
    private static Tensor repeatHeads(Tensor t, ModelConfig c) {
        int hd = c.headDim(), cols = t.rank() == 2 ? t.cols() : 1;
        float[] src = t.toFloats();
        float[] out = new float[src.length * c.groupSize()];
        int at = 0;
        for (int kv = 0; kv < c.numKvHeads(); kv++)
            for (int g = 0; g < c.groupSize(); g++) {
                System.arraycopy(src, kv * hd * cols, out, at, hd * cols);
                at += hd * cols;
            }
        long[] shape = t.shape().clone();
        shape[0] *= c.groupSize();
        return Tensor.ofFloats(t.name(), out, shape);
    }

    @Test
    void promptBeyondTheContextFailsClearly() {
        ModelConfig c = TestModels.oddHeadDim();
        Transformer engine = engine(c, TestModels.random(c, DType.F32, 47));
        KvCache cache = new KvCache(c, 16);
        engine.append(tokens(c, 10, 12), cache);
        assertThatThrownBy(() -> engine.forward(tokens(c, 7, 13), cache))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("positions 10..16 exceed the context length 16");
        assertThat(cache.size()).isEqualTo(10);
        engine.forward(tokens(c, 6, 13), cache);
        assertThat(cache.size()).isEqualTo(16);
    }

    @Test
    void tokenOutsideTheVocabularyFailsClearly() {
        ModelConfig c = TestModels.mha();
        Transformer engine = engine(c, TestModels.random(c, DType.F32, 48));
        assertThatThrownBy(() -> engine.forward(new int[] {1, 256}, engine.newCache()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token id 256 is outside the vocabulary [0, 256)");
    }
}
