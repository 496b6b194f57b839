package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.Close;
import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.KvCache;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.engine.Sampler;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.MaskSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Talaria's output is the plain model's: greedy continuations token for token, for every mask setting. */
class LosslessTest {

    @AutoClose
    static final Harness qwen = Harness.of(TinyModels.qwen2(), 21);

    @AutoClose
    static final Harness llama = Harness.of(TinyModels.llama(), 22);

    static Stream<Arguments> settings() {
        TalariaOptions d = TalariaOptions.DEFAULT;
        TalariaOptions remo = d.withHidden(MaskSpec.remo(0.5));
        return Stream.of(
                Arguments.of("plaintext baseline", TalariaOptions.plaintext()),
                Arguments.of("default: one-time pools, per request [50 prompts]", d),
                Arguments.of("ReMO 0.5 (the paper's), per request [50 prompts]", remo),
                Arguments.of("ReMO 0.5, one setup per session", remo.withRefresh(TalariaOptions.Refresh.SESSION)),
                Arguments.of("ReMO 0.25", d.withHidden(MaskSpec.remo(0.25))),
                Arguments.of(
                        "ReMO 0.9, scale 8", d.withHidden(MaskSpec.remo(0.9)).withMaskScale(8)),
                Arguments.of("ReMO on the embedding too", remo.withEmbed(MaskSpec.remo(0.5))),
                Arguments.of("no integrity check", d.withCheckVectors(0)));
    }

    /** The default setting on 50 prompts per model; the others on fewer to keep the suite fast. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void greedyOutputIsTokenForTokenThePlainModels(String label, TalariaOptions options) {
        boolean full = label.endsWith("[50 prompts]");
        for (Harness h : List.of(qwen, llama)) {
            MaskedRemoteBackend talaria = h.client(options);
            List<int[]> prompts = h.prompts(full ? 50 : h == qwen ? 10 : 4, 7);
            for (int[] prompt : prompts) {
                int[] expected = Harness.greedy(h.local, prompt, 12);
                int[] actual = Harness.greedy(talaria, prompt, 12);
                assertThat(actual)
                        .as("%s, %s, prompt %s", label, h.config.architecture(), Arrays.toString(prompt))
                        .containsExactly(expected);
            }
        }
    }

    /**
     * Qwen3: the client applies q_norm/k_norm (published by the cloud) between the masked QKV product and RoPE; greedy
     * output is the plain model's under the default and under ReMO 0.5.
     */
    @Test
    void qwen3GreedyOutputIsThePlainModels() throws Exception {
        try (Harness h = new Harness(TinyModels.qwen3(), 23)) {
            for (TalariaOptions options :
                    List.of(TalariaOptions.DEFAULT, TalariaOptions.DEFAULT.withHidden(MaskSpec.remo(0.5)))) {
                MaskedRemoteBackend talaria = h.client(options);
                for (int[] prompt : h.prompts(10, 9))
                    assertThat(Harness.greedy(talaria, prompt, 12))
                            .as("%s, prompt %s", options.hidden(), Arrays.toString(prompt))
                            .containsExactly(Harness.greedy(h.local, prompt, 12));
            }
        }
    }

    /**
     * Qwen3-MoE: the router product is masked like any other and the client picks the experts. With every expert
     * called, every expert product of every sparse layer gets every row, so the cloud's view does not depend on the
     * routing; with top-k plus D decoys, each row goes to exactly k + D experts. Greedy output is the plain model's
     * either way (decoy outputs are dropped).
     */
    @ParameterizedTest(name = "experts {0}")
    @ValueSource(strings = {"all", "topk", "topk+1"})
    void qwen3MoeGreedyOutputIsThePlainModelsForEveryExpertCover(String experts) throws Exception {
        try (Harness h = new Harness(TinyModels.qwen3Moe(), 24)) {
            ModelConfig c = h.config;
            ExpertCover cover = ExpertCover.parse(experts);
            MaskedRemoteBackend talaria = h.client(TalariaOptions.DEFAULT.withExperts(cover));
            Map<String, Integer> rowsPerProduct = new TreeMap<>();
            Map<String, Integer> rowsPerLayer = new TreeMap<>();
            Map<String, Integer> callsPerLayer = new TreeMap<>();
            ForwardingBackend counting = new ForwardingBackend(talaria) {
                @Override
                public void applyExperts(LinearOp op, int layer, int[] experts, float[][] x, int[] n, float[][] out) {
                    for (int i = 0; i < experts.length; i++) {
                        rowsPerProduct.merge(layer + "/" + experts[i] + "/" + op, n[i], Integer::sum);
                        rowsPerLayer.merge(layer + "/" + op, n[i], Integer::sum);
                    }
                    callsPerLayer.merge(layer + "/" + op, 1, Integer::sum);
                    super.applyExperts(op, layer, experts, x, n, out);
                }
            };
            long tripsBefore = talaria.stats().roundTrips();
            int rows = 0, passes = 0;
            for (int[] prompt : h.prompts(cover.all() ? 6 : 3, 11)) {
                talaria.beginRequest(prompt.length + 12);
                assertThat(new Generator(new Transformer(counting))
                                .generate(prompt, new GenerationOptions(12, SamplingParams.GREEDY, Set.of()))
                                .outputIds())
                        .as("prompt %s", Arrays.toString(prompt))
                        .containsExactly(Harness.greedy(h.local, prompt, 12));
                rows += prompt.length + 11;
                passes += 12; // the prompt, then 11 single-row passes
            }
            int k = c.moe().expertsPerToken(), e = c.moe().numExperts();
            // layers 0 and 2 are sparse: each row goes to k + D of the 4 experts (all 4 for "all"), gate_up and down
            assertThat(rowsPerLayer).hasSize(2 * 2);
            assertThat(Set.copyOf(rowsPerLayer.values())).containsExactly(cover.expertsPerRow(k, e) * rows);
            // one batched call per sparse layer, projection and pass, whatever the cover
            assertThat(Set.copyOf(callsPerLayer.values())).containsExactly(passes);
            // a pass's round trips: embed, qkv and o per layer, gate_up and down per dense layer, the router and the
            // two expert calls per sparse layer, lm_head
            int dense = c.numLayers() - 2;
            assertThat(talaria.stats().roundTrips() - tripsBefore)
                    .isEqualTo((long) passes * (1 + 2 * c.numLayers() + 2 * dense + 3 * 2 + 1));
            if (cover.all()) {
                assertThat(rowsPerProduct).hasSize(2 * e * 2);
                assertThat(Set.copyOf(rowsPerProduct.values())).containsExactly(rows);
            }
        }
    }

    /** Largest |Δlogit| against the plain engine, relative to the largest |logit|, as the mask grows. */
    @Test
    void logitDeviationGrowsWithMaskScaleAndStaysSmall() {
        Harness h = qwen;
        int[] prompt = h.prompts(1, 99).getFirst();
        float[] plain = logits(h.local, prompt);
        double top = 0;
        for (float v : plain) top = Math.max(top, Math.abs(v));
        double[] scales = {0.125, 0.5, 2, 8, 32, 128
        }; // × the row's L2 norm; at this model's d = 64, 1 to 1024 × its rms
        double[] deviation = new double[scales.length];
        StringBuilder table = new StringBuilder("mask scale | max |Δlogit| | relative\n");
        for (int s = 0; s < scales.length; s++) {
            MaskedRemoteBackend talaria = h.client(
                    TalariaOptions.DEFAULT.withHidden(MaskSpec.remo(0.5)).withMaskScale(scales[s]));
            float[] masked = logits(talaria, prompt);
            for (int i = 0; i < plain.length; i++)
                deviation[s] = Math.max(deviation[s], Math.abs(masked[i] - plain[i]));
            table.append(String.format("%10.3f | %12.3g | %.3g%n", scales[s], deviation[s], deviation[s] / top));
            assertThat(Sampler.argmax(masked)).isEqualTo(Sampler.argmax(plain));
        }
        System.out.println("[talaria] logit deviation vs mask scale (" + h.config.architecture() + ", max |logit| "
                + String.format("%.2f", top) + ")\n" + table);
        // float32 rounding of the masked product grows in proportion to the mask
        assertThat(deviation[0] / top).isLessThan(1e-4);
        assertThat(deviation[2] / top).isLessThan(1e-3);
        assertThat(deviation[5]).isGreaterThan(4 * deviation[0]);
    }

    /**
     * The default mask grows with depth (σ ∝ √(4L + 2)): on a 32-layer model it is 2·√130 ≈ 22.8 × the row norm. The
     * output stays the plain model's and the FP32 deviation stays far below the logits' gaps.
     */
    @Test
    void theDepthScaledDefaultIsLosslessOnA32LayerModel() throws Exception {
        ModelConfig deep = ModelConfig.of(ModelConfig.Architecture.QWEN2, 384, 64, 160, 32, 4, 2, 16)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(256, true, true, -1, List.of(383));
        try (Harness h = new Harness(deep, 23)) {
            MaskedRemoteBackend talaria = h.client(TalariaOptions.DEFAULT);
            assertThat(talaria.options().maskScale()).isEqualTo(TalariaOptions.PER_VIEW * Math.sqrt(130));
            double worst = 0;
            for (int[] prompt : h.prompts(10, 31)) {
                assertThat(Harness.greedy(talaria, prompt, 8)).containsExactly(Harness.greedy(h.local, prompt, 8));
                worst = Math.max(worst, Close.relativeError(logits(talaria, prompt), logits(h.local, prompt)));
            }
            System.out.printf(
                    "[talaria] 32 layers, default mask scale %.1f: largest |Δlogit| / max |logit| %.3g%n",
                    talaria.options().maskScale(), worst);
            assertThat(worst).isLessThan(1e-3);
        }
    }

    static float[] logits(LinearBackend b, int[] prompt) {
        Transformer t = new Transformer(b);
        KvCache cache = t.newCache();
        return t.forward(prompt, cache);
    }
}
