package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.aloepri.experiment.InMemoryModel;
import dev.veil.aloepri.experiment.RoutingError;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Moe;
import dev.veil.model.RandomModel;
import dev.veil.model.Weights;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Qwen3 (q_norm/k_norm: the restricted attention key of {@code QkNormKey}) and Qwen3-MoE (router normalised and
 * permuted with the experts, each expert its own FFN transform) on Veil's engine: with an orthogonal key and noise off
 * the obfuscated logits are the plain ones permuted by τ and greedy decoding is identical; with the paper's λ and h the
 * κ error is what is left; the router normalisation's routing error is measured.
 */
class QwenFamiliesTest {

    @TempDir
    Path tmp;

    static final int[] PROMPT = {1, 17, 42, 99, 5, 230, 64, 8, 150, 33, 77, 12, 201, 3, 45, 180};

    static ModelConfig qwen3() {
        return TinyModels.qwen3(300, 64, 128, 16, false);
    }

    /** Layer 0 dense (mlp_only_layers), layers 1 and 2 sparse: 8 experts, top 2, renormalised. */
    static ModelConfig qwen3Moe() {
        return TinyModels.qwen3Moe(qwen3(), 3, new Moe(8, 2, 32, true, 1, List.of(0)));
    }

    Path plainModel(ModelConfig c) throws Exception {
        Path dir = tmp.resolve("plain");
        RandomModel.write(dir, c, DType.F32, 5, new RandomModel.Scales(1.0, 0.2));
        return dir;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen3moe"})
    void orthogonalKeyWithNoiseOffIsExact(String family) throws Exception {
        ModelConfig c = family.equals("qwen3") ? qwen3() : qwen3Moe();
        Path plainDir = plainModel(c);
        AloePriParams params =
                AloePriParams.defaults(c.hiddenSize()).exact().withLambda(1e-9).withExpansion(0);
        AloePriKey key = ObfuscateModelDir.run(
                ObfuscateModelDir.Request.of(plainDir, tmp.resolve("obf"), tmp.resolve("obf.key"), params)
                        .withSeed("exact-" + family)
                        .withCalibrationTokens(0));
        EngineEndToEndTest.Comparison cmp =
                EngineEndToEndTest.compare(plainDir, tmp.resolve("obf"), key.permutation(), PROMPT);
        assertThat(cmp.maxRelativeError()).isLessThan(5e-5);
        assertThat(cmp.argmaxAgree()).isEqualTo(PROMPT.length);
        int[] plainGreedy = greedy(plainDir, PROMPT, 24);
        int[] obfGreedy = key.permutation()
                .deobfuscate(greedy(tmp.resolve("obf"), key.permutation().obfuscate(PROMPT), 24));
        assertThat(obfGreedy).containsExactly(plainGreedy);
        assertThat(Arrays.stream(plainGreedy).distinct().count()).isGreaterThan(3);
    }

    /** The paper's λ = 0.3 and default h, κ calibrated, noise and block permutation off: only the κ error is left. */
    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen3moe"})
    void paperKeyLeavesOnlyTheKappaError(String family) throws Exception {
        ModelConfig c = family.equals("qwen3") ? qwen3() : qwen3Moe();
        Path plainDir = plainModel(c);
        AloePriParams params = AloePriParams.defaults(c.hiddenSize()).exact();
        AloePriKey key = ObfuscateModelDir.run(
                ObfuscateModelDir.Request.of(plainDir, tmp.resolve("obf"), tmp.resolve("obf.key"), params)
                        .withSeed("kappa-" + family));
        EngineEndToEndTest.Comparison cmp =
                EngineEndToEndTest.compare(plainDir, tmp.resolve("obf"), key.permutation(), PROMPT);
        System.out.printf(
                Locale.ROOT,
                "%s lambda 0.3 h %d, noise off: max|logit err|/max|logit| %.4f, min cosine %.4f, argmax %d/%d%n",
                family,
                params.expansion(),
                cmp.maxRelativeError(),
                cmp.minCosine(),
                cmp.argmaxAgree(),
                PROMPT.length);
        // seen: Qwen3 cosine 0.997, argmax 12/16 (random-weight logits are nearly flat); Qwen3-MoE 0.958, 15/16 (the
        // κ error also flips near-tie routing decisions, 4% of tokens, which moves whole expert outputs)
        assertThat(cmp.minCosine()).isGreaterThan(family.equals("qwen3") ? 0.99 : 0.93);
        assertThat(cmp.argmaxAgree()).isGreaterThanOrEqualTo(PROMPT.length - 5);
    }

    /** The routing error: none with an exact key, some from the paper's router normalisation, more with noise. */
    @Test
    void routingErrorOfTheRouterNormalisationAndTheNoise() throws Exception {
        try (PlainMoe m = plainMoe()) {
            AloePriParams base = AloePriParams.defaults(m.c().hiddenSize());
            double exact = m.routing(base.exact());
            double normOnly = m.routing(base.exact().withRouterNorm(true));
            double noiseOnly = m.routing(base.withRouterNorm(false));
            double defaults = m.routing(base);
            System.out.printf(
                    Locale.ROOT,
                    "qwen3moe routing error (share of tokens whose top-%d set changes, %d tokens): exact key %.3f, "
                            + "router norm only %.3f, noise only (defaults without router norm) %.3f, defaults %.3f%n",
                    m.c().moe().expertsPerToken(),
                    m.tokens().length,
                    exact,
                    normOnly,
                    noiseOnly,
                    defaults);
            // λ = 0.3 leaves the κ error, which can flip a near tie; the normalisation changes logits outright
            assertThat(exact).isLessThan(0.1);
            assertThat(normOnly).isGreaterThan(exact);
            assertThat(defaults).isGreaterThan(normOnly);
        }
    }

    /** --alpha-router: with the same key, the routers and nothing else change, and the routing moves. */
    @Test
    void routerNoiseTouchesOnlyTheRouters() throws Exception {
        try (PlainMoe m = plainMoe()) {
            AloePriParams quiet = AloePriParams.defaults(m.c().hiddenSize()).exact();
            Weights a = obfuscate(m.c(), m.plain(), quiet), b = obfuscate(m.c(), m.plain(), quiet.withAlphaRouter(1));
            for (String name : a.names()) {
                boolean same = Arrays.equals(a.get(name).toFloats(), b.get(name).toFloats());
                assertThat(same).as(name).isEqualTo(!name.endsWith("mlp.gate.weight"));
            }
            double exact = m.routing(quiet), noisy = m.routing(quiet.withAlphaRouter(1));
            System.out.printf(Locale.ROOT, "qwen3moe routing error: exact %.3f, alpha_router 1 %.3f%n", exact, noisy);
            assertThat(noisy).isGreaterThan(exact + 0.1);
        }
    }

    static Weights obfuscate(ModelConfig c, Weights plain, AloePriParams p) {
        ModelObfuscator o = new ModelObfuscator(c, p, List.of(0), KeyStream.fromSeed("router"), DType.F32);
        return InMemoryModel.obfuscate(o, plain);
    }

    /** What the routing tests measure on: the plain Qwen3-MoE model, opened, and 256 ids spread over its vocabulary. */
    record PlainMoe(ModelConfig c, SafetensorsWeights plain, int[] tokens) implements AutoCloseable {

        /** The share of {@link #tokens} whose top-k expert set changes when the model is obfuscated with {@code p}. */
        double routing(AloePriParams p) throws Exception {
            ModelObfuscator o = ModelObfuscator.calibrated(
                    c,
                    plain,
                    p,
                    List.of(c.bosTokenId(), c.eosTokenIds().getFirst()),
                    KeyStream.fromSeed("routing"),
                    DType.F32,
                    128,
                    null);
            return RoutingError.measure(o, plain, InMemoryModel.obfuscate(o, plain), tokens)
                    .changed();
        }

        @Override
        public void close() {
            plain.close();
        }
    }

    PlainMoe plainMoe() throws Exception {
        ModelConfig c = qwen3Moe();
        int[] tokens = new int[256];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 37 + 11) % (c.vocabSize() - 2);
        return new PlainMoe(c, SafetensorsWeights.open(plainModel(c)), tokens);
    }

    @Test
    void splitIsRefusedForExperts() {
        ModelConfig c = qwen3Moe();
        assertThatThrownBy(() -> new ModelObfuscator(
                        c,
                        AloePriParams.defaults(c.hiddenSize()).withFfn(0, 0, 2),
                        List.of(0),
                        KeyStream.fromSeed("f"),
                        DType.F32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "--split is not implemented for mixture-of-experts models (got split 2 for Qwen3MoeForCausalLM)");
    }

    static int[] greedy(Path dir, int[] prompt, int n) throws Exception {
        ModelConfig c = ModelConfig.read(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            return TinyModels.greedy(new Transformer(new LocalLinearBackend(c, w, Parallel.shared())), prompt, n);
        }
    }
}
