package dev.veil.aloepri.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ModelObfuscator;
import dev.veil.aloepri.TinyModels;
import dev.veil.aloepri.VocabPermutation;
import dev.veil.engine.KvCache;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantizing an obfuscated model ({@link AccuracyExperiment#stored}, as {@code veil convert --dtype q8_0} writes it):
 * with the exact orthogonal key and no noise, the Q8_0 obfuscated model's logits, read back through τ, stay near the
 * plain Q8_0 model's, with its own rounding error about the plain model's (U_vo is orthogonal; a Gaussian U_vo made it
 * 4.3× through its inverse), and a key far from orthogonal (λ = 3) enlarges it: the same relative weight error, mapped
 * back through the key, costs more (aloepri-quant.md measures the perplexity).
 */
class QuantizedObfuscationTest {

    @TempDir
    Path tmp;

    static final int[] PROMPT = {1, 17, 42, 99, 5, 230, 64, 8, 150, 33, 77, 12, 201, 3, 45, 180};

    @Test
    void q8ObfuscatedLogitsStayWithinTheQuantizationErrorOfThePlainQ8Model() throws Exception {
        ModelConfig c = TinyModels.config(ModelConfig.Architecture.QWEN2, 128, 2, 4, 2, 32, 256, 300, true, true);
        Path dir = TinyModels.write(tmp.resolve("plain"), c, "quant-obfuscation");
        int[] tokens = new int[64];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + (i * 37) % 290;
        var settings = new AccuracyExperiment.Settings(64, 0, "quant-obfuscation");
        try (AccuracyExperiment e = AccuracyExperiment.open(dir, tokens, settings, line -> {})) {
            float[] plainF32 = logits(c, AccuracyExperiment.stored(c, e.plain(), DType.F32), PROMPT);
            float[] plainQ8 = logits(c, AccuracyExperiment.stored(c, e.plain(), DType.Q8_0), PROMPT);
            double scale = maxAbs(plainF32);
            double plainQuant = maxDiff(plainQ8, plainF32, null) / scale;

            AloePriParams exact = AloePriParams.defaults(c.hiddenSize())
                    .exact()
                    .withLambda(1e-9)
                    .withExpansion(0);
            Obfuscated o = obfuscate(e, exact);
            double exactF32 = maxDiff(o.f32, plainF32, o.tau) / scale;
            double obfQuant = maxDiff(o.q8, o.f32, null) / scale;
            double obfVsPlainQ8 = maxDiff(o.q8, plainQ8, o.tau) / scale;

            Obfuscated skewed = obfuscate(e, exact.withLambda(3));
            double skewedQuant = maxDiff(skewed.q8, skewed.f32, null) / scale;
            System.out.printf(
                    "[aloepri-quant] max |Δlogit| / max |logit|: plain Q8_0 vs F32 %.3g; orthogonal key: obfuscated F32 vs plain"
                            + " F32 %.3g, obfuscated Q8_0 vs its F32 %.3g, vs plain Q8_0 %.3g; λ 3: Q8_0 vs its F32 %.3g%n",
                    plainQuant, exactF32, obfQuant, obfVsPlainQ8, skewedQuant);

            assertThat(exactF32).as("the exact key at F32").isLessThan(5e-5);
            assertThat(plainQuant).as("plain Q8_0 vs F32").isBetween(3e-3, 3e-2);
            // the obfuscated model is quantized in its own basis: a different rounding of about the same size (1.04x
            // measured; 4.3x with the Gaussian U_vo of before, whose inverse amplified W_v's rounding)
            assertThat(obfQuant).as("obfuscated Q8_0 vs its F32").isBetween(0.5 * plainQuant, 2 * plainQuant);
            // still the plain Q8_0 model's logits, read back through tau, to a tenth of their scale (a wrong tau or
            // layout is off by order 1)
            assertThat(obfVsPlainQ8).as("obfuscated Q8_0 vs plain Q8_0").isLessThan(0.1);
            // a key far from orthogonal amplifies the same relative rounding when the product is read back
            assertThat(skewedQuant).as("lambda 3: Q8_0 vs its F32").isGreaterThan(3 * obfQuant);
        }
    }

    private record Obfuscated(VocabPermutation tau, float[] f32, float[] q8) {}

    private static Obfuscated obfuscate(AccuracyExperiment e, AloePriParams params) throws Exception {
        ModelObfuscator obfuscator = e.obfuscator(params);
        ModelConfig oc = obfuscator.obfuscatedConfig();
        Weights w = InMemoryModel.obfuscate(obfuscator, e.plain());
        VocabPermutation tau = obfuscator.permutation();
        int[] prompt = tau.obfuscate(PROMPT);
        return new Obfuscated(
                tau,
                logits(oc, AccuracyExperiment.stored(oc, w, DType.F32), prompt),
                logits(oc, AccuracyExperiment.stored(oc, w, DType.Q8_0), prompt));
    }

    private static float[] logits(ModelConfig c, Weights w, int[] prompt) {
        Transformer t = new Transformer(new LocalLinearBackend(c, w, Parallel.shared()));
        return t.forwardAll(prompt, new KvCache(c, prompt.length));
    }

    /** max |a − b|, with {@code a}'s columns read through τ when {@code a} is an obfuscated model's (τ null: same order). */
    private static double maxDiff(float[] a, float[] b, VocabPermutation tau) {
        int vocab = tau == null ? 0 : tau.size();
        double d = 0;
        for (int i = 0; i < b.length; i++) {
            int j = tau == null ? i : (i / vocab) * vocab + tau.obfuscate(i % vocab);
            d = Math.max(d, Math.abs(a[j] - b[i]));
        }
        return d;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }
}
