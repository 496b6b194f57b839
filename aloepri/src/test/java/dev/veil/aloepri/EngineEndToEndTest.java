package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.KvCache;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The unchanged-engine claim on Veil's own engine: the obfuscated checkpoint (hidden d+2h, explicit head_dim,
 * untied head) loads and runs in the same forward pass as any model, and with noise off and no block permutation
 * its logits are the plain logits permuted by τ, up to the κ/RMSNorm error, which this test measures.
 */
class EngineEndToEndTest {

    @TempDir
    Path tmp;

    static final int[] PROMPT = {1, 17, 42, 99, 5, 230, 64, 8, 150, 33, 77, 12, 201, 3, 45, 180};

    record Comparison(double maxRelativeError, double minCosine, int argmaxAgree) {}

    @ParameterizedTest(name = "{0} lambda={1} h={2} calibration={3}")
    @CsvSource({
        "qwen,0.3,-1,0",
        "qwen,0.3,-1,128",
        "llama,0.3,-1,0",
        "llama,0.3,-1,128",
        "qwen,1e-9,0,0",
        "llama,1e-9,0,0"
    })
    void obfuscatedLogitsArePermutedPlainLogits(String arch, double lambda, int h, int calibration) throws Exception {
        ModelConfig c = arch.equals("qwen") ? TinyModels.qwen() : TinyModels.llama();
        Path plainDir = TinyModels.write(tmp.resolve("plain"), c, "engine-" + arch);
        AloePriParams params = AloePriParams.defaults(c.hiddenSize()).exact().withLambda(lambda);
        if (h >= 0) params = params.withExpansion(h);
        AloePriKey key = obfuscate(plainDir, params, calibration);
        Comparison cmp = compare(plainDir, tmp.resolve("obf"), key.permutation(), PROMPT);
        System.out.printf(
                "engine e2e %s lambda=%s h=%d calibration=%d: max|logit err|/max|logit| %.5f, min cosine %.5f, argmax %d/%d%n",
                arch,
                lambda,
                params.expansion(),
                calibration,
                cmp.maxRelativeError(),
                cmp.minCosine(),
                cmp.argmaxAgree(),
                PROMPT.length);
        if (params.expansion() == 0 && lambda < 1e-6) {
            assertThat(cmp.maxRelativeError())
                    .isLessThan(5e-5); // orthogonal key: RMSNorm commutes, nothing approximate
            assertThat(cmp.argmaxAgree()).isEqualTo(PROMPT.length);
        } else {
            assertThat(cmp.maxRelativeError()).isLessThan(0.25);
            assertThat(cmp.minCosine()).isGreaterThan(0.98);
            // random-weight logits are nearly flat, so a 3-5% per-token scale error flips a few argmaxes (13-15 of 16
            // seen)
            assertThat(cmp.argmaxAgree()).isGreaterThanOrEqualTo(PROMPT.length - 3);
        }
    }

    /** The unit split is exact: with an orthogonal key the split model's logits are the plain ones, d_ff grows k-fold, the key keeps k. */
    @Test
    void unitSplitKeepsTheLogits() throws Exception {
        ModelConfig c = TinyModels.qwen();
        Path plainDir = TinyModels.write(tmp.resolve("plain"), c, "engine-split");
        AloePriParams params = AloePriParams.defaults(c.hiddenSize())
                .exact()
                .withLambda(1e-9)
                .withExpansion(0)
                .withFfn(0, 0, 3);
        AloePriKey key = obfuscate(plainDir, params, 0);
        assertThat(ModelConfig.read(tmp.resolve("obf")).intermediateSize()).isEqualTo(3 * c.intermediateSize());
        assertThat(KeyFile.read(tmp.resolve("obf.key"), null).params().split()).isEqualTo(3);
        Comparison cmp = compare(plainDir, tmp.resolve("obf"), key.permutation(), PROMPT);
        assertThat(cmp.maxRelativeError()).isLessThan(5e-5);
        assertThat(cmp.argmaxAgree()).isEqualTo(PROMPT.length);
    }

    /** {@code plainDir} obfuscated into tmp/obf (F32, seed "engine") with its key in tmp/obf.key. */
    private AloePriKey obfuscate(Path plainDir, AloePriParams params, int calibrationTokens) throws Exception {
        return ObfuscateModelDir.run(
                ObfuscateModelDir.Request.of(plainDir, tmp.resolve("obf"), tmp.resolve("obf.key"), params)
                        .withSeed("engine")
                        .withDtype(DType.F32)
                        .withCalibrationTokens(calibrationTokens));
    }

    /** Logits of both models on the engine; obfuscated logits read back through τ. */
    static Comparison compare(Path plainDir, Path obfDir, VocabPermutation tau, int[] prompt) throws Exception {
        float[] plain = logits(plainDir, prompt);
        float[] obf = logits(obfDir, tau.obfuscate(prompt));
        int vocab = tau.size();
        double diff = 0, scale = 0, minCos = 1;
        int agree = 0;
        for (int t = 0; t < prompt.length; t++) {
            double ab = 0, aa = 0, bb = 0;
            int bestPlain = 0, bestObf = 0;
            for (int i = 0; i < vocab; i++) {
                float p = plain[t * vocab + i], o = obf[t * vocab + tau.obfuscate(i)];
                diff = Math.max(diff, Math.abs(p - o));
                scale = Math.max(scale, Math.abs(p));
                ab += p * o;
                aa += p * p;
                bb += o * o;
                if (p > plain[t * vocab + bestPlain]) bestPlain = i;
                if (o > obf[t * vocab + tau.obfuscate(bestObf)]) bestObf = i;
            }
            minCos = Math.min(minCos, ab / Math.sqrt(aa * bb));
            if (bestPlain == bestObf) agree++;
        }
        return new Comparison(diff / scale, minCos, agree);
    }

    static float[] logits(Path dir, int[] tokens) throws Exception {
        ModelConfig c = ModelConfig.read(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            Transformer t = new Transformer(new LocalLinearBackend(c, w, Parallel.shared()));
            return t.forwardAll(tokens, new KvCache(c, tokens.length));
        }
    }
}
