package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.TokenListener;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Decoy sequences share the real one's calls under a secret permutation; the real output is unchanged. */
class DecoyTest {

    @AutoClose
    static final Harness h = Harness.of(TinyModels.qwen2(), 61);

    static Generation run(TalariaRuntime runtime, int[] prompt, int tokens) {
        return runtime.generate(
                prompt, new GenerationOptions(tokens, SamplingParams.GREEDY, Set.of()), TokenListener.NONE, t -> false);
    }

    @Test
    void theRealOutputIsThePlainModelsAndEveryCallCarriesTheDecoyRows() throws Exception {
        try (V2Proxy proxy = new V2Proxy(h.cloud.uri(), null)) {
            int decoys = 2;
            TalariaRuntime runtime = new TalariaRuntime(
                    h.client(proxy.uri(), TalariaOptions.DEFAULT),
                    new TalariaRuntime.Decoys(decoys, DecoySource.uniform(h.config.vocabSize()), Set.of()));
            for (int[] prompt : h.prompts(6, 12)) {
                proxy.calls.clear();
                long trips0 = runtime.stats().roundTrips();
                int[] out = run(runtime, prompt, 8).outputIds();
                assertThat(out).containsExactly(Harness.greedy(h.local, prompt, 8));
                // same round trips as without decoys (4L + 2 per pass), (k + 1) times the rows
                assertThat(runtime.stats().roundTrips() - trips0).isEqualTo(8L * (4 * h.config.numLayers() + 2));
                assertThat(proxy.calls.getFirst().model()).isEqualTo("embed");
                assertThat(proxy.calls.getFirst().sent().rows()).isEqualTo((decoys + 1) * prompt.length);
                assertThat(proxy.calls.getLast().model()).isEqualTo("lm_head");
                assertThat(proxy.calls.getLast().sent().rows()).isEqualTo(decoys + 1);
            }
        }
    }

    @Test
    void withoutMasksTheCloudSeesEveryLaneButNotWhichIsReal() throws Exception {
        // plaintext rows + decoys: the nearest-embedding attack reads all k + 1 tokens of a position, but the real
        // row's place among them is the secret permutation's
        int decoys = 3;
        try (V2Proxy proxy = new V2Proxy(h.cloud.uri(), null)) {
            TalariaRuntime runtime = new TalariaRuntime(
                    h.client(proxy.uri(), TalariaOptions.plaintext()),
                    new TalariaRuntime.Decoys(decoys, DecoySource.uniform(h.config.vocabSize()), Set.of()));
            int[] prompt = h.prompts(1, 13).getFirst();
            RecordingBackend truth = new RecordingBackend(h.local);
            Harness.greedy(truth, prompt, 24);
            run(runtime, prompt, 24);
            List<RecordingBackend.Call> realEmbeds = truth.calls.stream()
                    .filter(c -> c.name().equals(ModelName.EMBED))
                    .toList();
            List<V2Proxy.Call> wireFirstLayer = proxy.calls.stream()
                    .filter(c -> c.model().equals("layer.0.qkv"))
                    .toList();
            List<RecordingBackend.Call> realFirstLayer = truth.calls.stream()
                    .filter(c -> c.name().equals(new ModelName(Product.QKV, 0)))
                    .toList();
            assertThat(wireFirstLayer).hasSameSizeAs(realFirstLayer);
            Set<Integer> positions = new HashSet<>();
            int in = h.config.hiddenSize();
            for (int c = 1; c < realFirstLayer.size(); c++) { // decode calls: one real row among k + 1
                float[] real = realFirstLayer.get(c).in();
                float[] sent = wireFirstLayer.get(c).sent().data();
                int found = -1;
                for (int r = 0; r < decoys + 1; r++)
                    if (Arrays.equals(Arrays.copyOfRange(sent, r * in, (r + 1) * in), real)) found = r;
                assertThat(found).as("the real row is among the rows sent").isGreaterThanOrEqualTo(0);
                positions.add(found);
            }
            assertThat(realEmbeds).hasSize(24);
            // 23 draws from 4 places: all in fewer than 3 places has probability < 1e-5
            assertThat(positions).hasSizeGreaterThanOrEqualTo(3);
        }
    }

    /**
     * Qwen3-MoE with a decoy sequence: the router and every expert product meet the lanes in lockstep (every expert
     * gets every row of every lane), output is the plain model's; fewer experts than all would diverge, so are refused.
     */
    @Test
    void mixtureOfExpertsDecoysCallEveryExpertInLockstep() throws Exception {
        try (Harness moe = new Harness(TinyModels.qwen3Moe(), 62);
                V2Proxy proxy = new V2Proxy(moe.cloud.uri(), null)) {
            TalariaRuntime runtime = new TalariaRuntime(
                    moe.client(proxy.uri(), TalariaOptions.DEFAULT),
                    new TalariaRuntime.Decoys(1, DecoySource.uniform(moe.config.vocabSize()), Set.of()));
            int[] prompt = moe.prompts(1, 15).getFirst();
            assertThat(run(runtime, prompt, 6).outputIds()).containsExactly(Harness.greedy(moe.local, prompt, 6));
            List<V2Proxy.Call> experts = proxy.calls.stream()
                    .filter(c -> c.model().contains(".experts."))
                    .toList();
            // 2 sparse layers x 4 experts x (gate_up, down), per forward pass (1 prefill + 5 decode)
            assertThat(experts).hasSize(6 * 2 * 4 * 2);
            // in one request per sparse layer, projection and pass: the lanes meet at the batch
            assertThat(proxy.requests.stream().filter(m -> m.contains(".experts.")))
                    .hasSize(6 * 2 * 2);
            assertThat(proxy.requests).noneMatch(m -> m.contains(".expert."));
            assertThat(experts.getLast().sent().rows()).isEqualTo(2);
            assertThat(experts.getFirst().sent().rows()).isEqualTo(2 * prompt.length);
            assertThatThrownBy(() -> new TalariaRuntime(
                            moe.client(proxy.uri(), TalariaOptions.DEFAULT.withExperts(ExpertCover.topK(1))),
                            new TalariaRuntime.Decoys(1, DecoySource.uniform(moe.config.vocabSize()), Set.of())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--moe-experts all");
        }
    }

    @Test
    void decoysStopWhenTheRealSequenceStops() {
        TalariaRuntime runtime = new TalariaRuntime(
                h.client(TalariaOptions.DEFAULT),
                new TalariaRuntime.Decoys(2, DecoySource.uniform(h.config.vocabSize()), Set.of()));
        AtomicInteger seen = new AtomicInteger();
        int[] prompt = h.prompts(1, 14).getFirst();
        Generation g = runtime.generate(
                prompt,
                new GenerationOptions(50, SamplingParams.GREEDY, Set.of()),
                TokenListener.NONE,
                t -> seen.incrementAndGet() == 3);
        assertThat(g.outputIds()).hasSize(3).containsExactly(Arrays.copyOf(Harness.greedy(h.local, prompt, 3), 3));
        // and the runtime is ready for the next request
        assertThat(run(runtime, prompt, 4).outputIds()).containsExactly(Harness.greedy(h.local, prompt, 4));
    }
}
