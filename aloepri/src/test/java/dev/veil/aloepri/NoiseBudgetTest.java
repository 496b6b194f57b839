package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.aloepri.experiment.InMemoryModel;
import dev.veil.aloepri.experiment.NextTokenScores;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoiseBudgetTest {

    @TempDir
    Path tmp;

    /** Text the random model predicts well (its own greedy continuations), so noise raises its perplexity. */
    private static int[] text(ModelConfig c, SafetensorsWeights w) {
        Transformer t = new Transformer(new LocalLinearBackend(c, w, Parallel.shared()));
        KeyStream rng = KeyStream.fromSeed("prompts");
        int[] out = new int[0];
        for (int p = 0; p < 4; p++) {
            int[] prompt = {3 + rng.nextInt(c.vocabSize() - 3), 3 + rng.nextInt(c.vocabSize() - 3)};
            int[] more = TinyModels.greedy(t, prompt, 22);
            int[] joined = java.util.Arrays.copyOf(out, out.length + 24);
            System.arraycopy(prompt, 0, joined, out.length, 2);
            System.arraycopy(more, 0, joined, out.length + 2, 22);
            out = joined;
        }
        return out;
    }

    @Test
    void theWrittenCheckpointMeetsTheBudgetAndTheBudgetIsTight() throws Exception {
        ModelConfig c = TinyModels.qwen();
        Path plain = TinyModels.write(tmp.resolve("plain"), c, "budget");
        Set<Integer> fixed = SpecialTokens.read(plain, c);
        AloePriParams profile = AloePriParams.defaults(64).withDepthScaled(true);
        int[] tokens;
        double plainPerplexity, exact;
        try (SafetensorsWeights w = SafetensorsWeights.open(plain)) {
            tokens = text(c, w);
            plainPerplexity = NextTokenScores.of(
                            new Transformer(new LocalLinearBackend(c, w, Parallel.shared())), tokens, 64)
                    .perplexity();
            // what the exact transforms alone cost on this random model (the κ error): the budget sits 5 points above
            ModelObfuscator o = ModelObfuscator.calibrated(
                    c, w, profile.scaleNoise(0), fixed, KeyStream.fromSeed("budget-test"), DType.F32, 32, null);
            exact = NextTokenScores.of(
                                            new Transformer(new LocalLinearBackend(
                                                    o.obfuscatedConfig(),
                                                    InMemoryModel.obfuscate(o, w),
                                                    Parallel.shared())),
                                            o.permutation().obfuscate(tokens),
                                            64)
                                    .perplexity()
                            / plainPerplexity
                    - 1;
        }
        double budget = exact + 0.05;
        List<String> log = new ArrayList<>();
        AloePriKey key = ObfuscateModelDir.run(
                ObfuscateModelDir.Request.of(plain, tmp.resolve("out"), tmp.resolve("k.key"), profile)
                        .withSeed("budget-test")
                        .withCalibrationTokens(32),
                new NoiseBudget.Target(budget, tokens, 64, 3, log::add));
        // the key holds the profile scaled by one factor, below 1: the defaults cost far more on this model
        double factor = key.params().alphaE() / profile.alphaE();
        assertThat(factor).isGreaterThan(0).isLessThan(1);
        assertThat(key.params()).isEqualTo(profile.scaleNoise(factor));
        assertThat(log.getLast())
                .startsWith("noise budget +")
                .contains(String.format(java.util.Locale.ROOT, "factor %.3f", factor));
        // the same search in memory: the chosen round is the last within the budget, and a round at most 1/8 above it
        // went over, so the calibration does not give away noise it could have kept
        NoiseBudget.Result r;
        try (SafetensorsWeights w = SafetensorsWeights.open(plain)) {
            r = NoiseBudget.calibrate(
                    c,
                    w,
                    profile,
                    fixed,
                    KeyStream.fromSeed("budget-test"),
                    DType.F32,
                    32,
                    null,
                    new NoiseBudget.Target(budget, tokens, 64, 3, s -> {}));
        }
        assertThat(r.chosen().factor()).isCloseTo(factor, within(1e-12));
        assertThat(r.chosen().perplexityIncrease()).isLessThanOrEqualTo(budget).isGreaterThan(exact);
        double over = r.rounds().stream()
                .filter(x -> x.perplexityIncrease() > budget)
                .mapToDouble(NoiseBudget.Round::factor)
                .min()
                .orElseThrow();
        assertThat(over - factor).isGreaterThan(0).isLessThanOrEqualTo(1.0 / 8 + 1e-12);
        assertThat(r.rounds()).hasSize(1 + 3);
        // scored independently on what was written: the chosen round's cost, within the budget
        try (SafetensorsWeights obf = SafetensorsWeights.open(tmp.resolve("out"))) {
            ModelConfig oc = ModelConfig.read(tmp.resolve("out"));
            double p = NextTokenScores.of(
                            new Transformer(new LocalLinearBackend(oc, obf, Parallel.shared())),
                            key.permutation().obfuscate(tokens),
                            64)
                    .perplexity();
            assertThat(p / plainPerplexity - 1).isCloseTo(r.chosen().perplexityIncrease(), within(1e-6));
        }
    }

    @Test
    void aBadBudgetGetsAClearError() throws Exception {
        int[] t = {1, 2, 3};
        assertThatThrownBy(() -> new NoiseBudget.Target(0, t, 64, 4, s -> {}))
                .hasMessageContaining("must be a positive percentage");
        assertThatThrownBy(() -> new NoiseBudget.Target(-0.03, t, 64, 4, s -> {}))
                .hasMessageContaining("must be a positive percentage");
        assertThatThrownBy(() -> new NoiseBudget.Target(Double.NaN, t, 64, 4, s -> {}))
                .hasMessageContaining("must be a positive percentage");
        assertThatThrownBy(() -> new NoiseBudget.Target(30, t, 64, 4, s -> {}))
                .hasMessageContaining("give the percentage, e.g. 10 for +10%");
        ModelConfig c = TinyModels.qwen();
        Path plain = TinyModels.write(tmp.resolve("plain"), c, "budget");
        try (SafetensorsWeights w = SafetensorsWeights.open(plain)) {
            int[] tokens = text(c, w);
            assertThatThrownBy(() -> NoiseBudget.calibrate(
                            c,
                            w,
                            AloePriParams.defaults(64).withNoise(0, 0).withFfn(0, 0, 1),
                            Set.of(),
                            KeyStream.fromSeed("x"),
                            DType.F32,
                            32,
                            null,
                            new NoiseBudget.Target(0.05, tokens, 64, 4, s -> {})))
                    .hasMessageContaining("this profile has none");
            // a budget below what the exact transforms cost (the κ error alone, ~7% on this model) is refused
            assertThatThrownBy(() -> NoiseBudget.calibrate(
                            c,
                            w,
                            AloePriParams.defaults(64),
                            Set.of(),
                            KeyStream.fromSeed("x"),
                            DType.F32,
                            32,
                            null,
                            new NoiseBudget.Target(0.01, tokens, 64, 2, s -> {})))
                    .hasMessageContaining("is below what the obfuscation costs with no noise at all");
        }
    }
}
