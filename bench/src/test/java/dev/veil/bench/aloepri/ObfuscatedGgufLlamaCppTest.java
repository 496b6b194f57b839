package dev.veil.bench.aloepri;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ObfuscateModelDir;
import dev.veil.aloepri.TinyModels;
import dev.veil.bench.LlamaCpp;
import dev.veil.engine.Close;
import dev.veil.engine.KvCache;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.RandomModel;
import dev.veil.model.VeilCache;
import dev.veil.model.gguf.GgufFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AloePri's "unchanged engine" claim against an engine Veil did not write: {@code veil obfuscate --gguf} with the
 * default parameters (noise on, RoPE block permutation on), then stock llama.cpp (node-llama-cpp's prebuilt CPU build)
 * and Veil's engine run the same obfuscated GGUF on the same obfuscated prompts τ(ids). They must give the same
 * last-position logits (to float rounding) and the same greedy obfuscated tokens. The file's vocabulary must be the
 * synthetic one: no plaintext token strings reach the server.
 */
class ObfuscatedGgufLlamaCppTest {

    /** One thread: llama.cpp's threads spin at barriers, which on a busy shared machine costs minutes for a tiny model. */
    static final int THREADS = 1;

    static final int PROMPTS = 8;
    static final int CONTINUATION = 32;
    /** Relative logit difference allowed between the two engines at F32: rounding only (see the verify module). */
    static final double F32_TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    /** Qwen3: q_norm/k_norm, GQA, head_dim 32 ≠ hidden/heads, tied embeddings. */
    static ModelConfig qwen3() {
        return TinyModels.qwen3(640, 128, 256, 32, true);
    }

    /** Qwen3-MoE: both layers sparse (llama.cpp's graph has no dense layers), 8 experts of width 64, top 2 renormalised. */
    static ModelConfig qwen3Moe() {
        return TinyModels.qwen3Moe(qwen3(), 2, new ModelConfig.Moe(8, 2, 64, true, 1, List.of()));
    }

    /**
     * Qwen3 and Qwen3-MoE with an orthogonal key and noise off (λ → 0, h = 0, no block permutation, no router
     * normalisation): stock llama.cpp's greedy tokens on the obfuscated GGUF, read back through τ, are the plain
     * model's greedy tokens on Veil's engine.
     */
    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "qwen3moe"})
    void llamaCppOnTheExactlyObfuscatedGgufDecodesLikeThePlainModel(String arch) throws Exception {
        ModelConfig plain = config(arch);
        AloePriKey key = obfuscate(
                plain,
                0.2,
                AloePriParams.defaults(plain.hiddenSize())
                        .exact()
                        .withLambda(1e-9)
                        .withExpansion(0),
                r -> r.withSeed("gguf-exact-" + arch).withCalibrationTokens(0));
        List<int[]> plainPrompts = prompts(plain);
        LlamaCpp.Reply reply = llamaCpp(key, plainPrompts, false);
        try (ModelFiles files = ModelFiles.open(tmp.resolve("plain"))) {
            Transformer veil =
                    new Transformer(new LocalLinearBackend(files.config(), files.weights(), Parallel.shared()));
            List<Integer> distinct = new ArrayList<>();
            for (int p = 0; p < PROMPTS; p++) {
                int[] plainGreedy = TinyModels.greedy(veil, plainPrompts.get(p), CONTINUATION);
                assertThat(key.permutation().deobfuscate(reply.results().get(p).tokens()))
                        .as("prompt %d: llama.cpp on the obfuscated GGUF, read back through τ, vs the plain model", p)
                        .containsExactly(plainGreedy);
                for (int t : plainGreedy) if (!distinct.contains(t)) distinct.add(t);
            }
            System.out.printf(
                    Locale.ROOT,
                    "exactly obfuscated %s GGUF on llama.cpp %s: %d x %d greedy tokens = the plain model's (%d distinct)%n",
                    arch,
                    reply.llamaCpp().release(),
                    PROMPTS,
                    CONTINUATION,
                    distinct.size());
            assertThat(distinct.size()).isGreaterThan(PROMPTS);
        }
    }

    static List<int[]> prompts(ModelConfig plain) {
        List<int[]> prompts = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(11);
        for (int p = 0; p < PROMPTS; p++) {
            int[] ids = new int[8 + rng.nextInt(24)];
            for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(plain.vocabSize() - RandomModel.SPECIALS.size());
            prompts.add(ids);
        }
        return prompts;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "llama", "qwen3", "qwen3moe"})
    void llamaCppRunsTheObfuscatedGgufLikeVeil(String arch) throws Exception {
        ModelConfig plain = config(arch);
        AloePriKey key =
                obfuscate(plain, 0.1, AloePriParams.defaults(plain.hiddenSize()), r -> r.withSeed("gguf-" + arch));
        Path gguf = tmp.resolve("obfuscated.gguf");

        try (GgufFile g = GgufFile.open(gguf)) {
            List<String> tokens = g.getStringList("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(plain.vocabSize());
            for (int i = 256; i < tokens.size(); i++) assertThat(tokens.get(i)).isEqualTo("[TOK" + i + "]");
            String a = plain.architecture().ggufArch;
            assertThat(g.getInt(a + ".embedding_length"))
                    .isEqualTo(plain.hiddenSize() + 2 * key.params().expansion());
            assertThat(g.getInt(a + ".attention.key_length")).isEqualTo(plain.headDim());
        }

        LlamaCpp.Reply reply = llamaCpp(key, prompts(plain), true);
        assertThat(reply.results()).hasSize(PROMPTS);
        List<int[]> prompts = obfuscated(key, prompts(plain));

        try (ModelFiles files = ModelFiles.open(gguf);
                ModelFiles hf = ModelFiles.open(tmp.resolve("obfuscated"))) {
            Transformer veil =
                    new Transformer(new LocalLinearBackend(files.config(), files.weights(), Parallel.shared()));
            Transformer veilHf = new Transformer(new LocalLinearBackend(hf.config(), hf.weights(), Parallel.shared()));
            double worst = 0;
            List<Integer> distinct = new ArrayList<>();
            for (int p = 0; p < PROMPTS; p++) {
                float[] veilLogits = veil.forward(prompts.get(p), new KvCache(files.config(), prompts.get(p).length));
                float[] llamaLogits = reply.results().get(p).logits();
                double err = Close.relativeError(veilLogits, llamaLogits);
                worst = Math.max(worst, err);
                assertThat(err)
                        .as("prompt %d: relative logit error vs llama.cpp", p)
                        .isLessThanOrEqualTo(F32_TOLERANCE);
                // the GGUF (Q/K rows interleaved for llama.cpp, read back by Veil) is the same model as the HF
                // directory
                assertThat(veilHf.forward(prompts.get(p), new KvCache(hf.config(), prompts.get(p).length)))
                        .containsExactly(veilLogits);
                int[] greedy = TinyModels.greedy(veil, prompts.get(p), CONTINUATION);
                assertThat(greedy)
                        .as("prompt %d: greedy obfuscated tokens, Veil vs llama.cpp", p)
                        .containsExactly(reply.results().get(p).tokens());
                for (int t : greedy) if (!distinct.contains(t)) distinct.add(t);
            }
            System.out.printf(
                    Locale.ROOT,
                    "obfuscated %s GGUF: llama.cpp %s and Veil agree: worst relative logit error %.2e, "
                            + "%d x %d greedy tokens identical (%d distinct)%n",
                    arch,
                    reply.llamaCpp().release(),
                    worst,
                    PROMPTS,
                    CONTINUATION,
                    distinct.size());
            assertThat(distinct.size())
                    .as("continuations are not one repeated token")
                    .isGreaterThan(PROMPTS);
        }
    }

    /** The shapes: Qwen3, Qwen3-MoE, Qwen2 and Llama 3, each with what llama.cpp's graph for it must get right. */
    static ModelConfig config(String arch) {
        return switch (arch) {
            case "qwen3" -> qwen3();
            case "qwen3moe" -> qwen3Moe();
            // Qwen2: q/k/v biases, GQA, head_dim ≠ hidden/heads, tied embeddings (untied by the compiler)
            case "qwen2" ->
                RandomModel.config(
                        ModelConfig.Architecture.QWEN2, 640, 128, 256, 2, 4, 2, 48, null, true, true, "float32");
            // Llama 3: llama3 RoPE scaling (a rope_freqs tensor in the GGUF), untied head
            case "llama" ->
                RandomModel.config(
                        ModelConfig.Architecture.LLAMA,
                        640,
                        128,
                        320,
                        2,
                        4,
                        1,
                        32,
                        new ModelConfig.RopeScaling(8, 1, 4, 64),
                        false,
                        false,
                        "float32");
            default -> throw new IllegalArgumentException(arch);
        };
    }

    /**
     * A random {@code plain} model (hidden weights at {@code hiddenScale}) in tmp/plain, obfuscated with {@code params}
     * into tmp/obfuscated and tmp/obfuscated.gguf; {@code request} adds the seed and any other choice.
     */
    private AloePriKey obfuscate(
            ModelConfig plain,
            double hiddenScale,
            AloePriParams params,
            UnaryOperator<ObfuscateModelDir.Request> request)
            throws Exception {
        Path plainDir = tmp.resolve("plain");
        RandomModel.write(
                plainDir,
                plain,
                DType.F32,
                7,
                new RandomModel.Scales(plain.tieWordEmbeddings() ? 0.1 : 1.0, hiddenScale));
        return ObfuscateModelDir.run(request.apply(ObfuscateModelDir.Request.of(
                        plainDir, tmp.resolve("obfuscated"), tmp.resolve("obfuscated.key"), params))
                .withGguf(tmp.resolve("obfuscated.gguf")));
    }

    /** What the gateway sends the server: each prompt through τ. */
    static List<int[]> obfuscated(AloePriKey key, List<int[]> plainPrompts) {
        return plainPrompts.stream().map(key.permutation()::obfuscate).toList();
    }

    /** Stock llama.cpp on tmp/obfuscated.gguf, given the obfuscated prompts: greedy tokens, and logits on request. */
    private LlamaCpp.Reply llamaCpp(AloePriKey key, List<int[]> plainPrompts, boolean logits) throws Exception {
        return LlamaCpp.locate(VeilCache.dir())
                .run(
                        new LlamaCpp.Request(
                                tmp.resolve("obfuscated.gguf"),
                                THREADS,
                                128,
                                obfuscated(key, plainPrompts),
                                logits,
                                CONTINUATION,
                                null),
                        Duration.ofMinutes(5));
    }
}
