package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.KvCache;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The point of AloePri, on the trained model: obfuscated (noise on, block permutation on), run by the unchanged engine
 * on τ(prompt), its greedy tokens mapped back through τ⁻¹ are text. "Text" is measured by the plain model: the
 * de-mapped continuation must be nearer its own greedy text than uniform guessing (log V nats per token), while the
 * very same obfuscated ids read without τ⁻¹ (what the server sees) are worse than uniform to it.
 *
 * <p>α_e is 0.5 (the paper's setting for Llama3-8B), not the default 1.0: on this 3.7M-parameter model (d = 256,
 * four layers) embedding noise as large as the embedding itself costs ~55% held-out perplexity and turns some
 * continuations into fragments (measured: docs/results/aloepri). Every other parameter is the default.
 */
class TrainedModelGenerationTest {

    static final String MODEL = "models/veil-sotu-qwen2";
    static final int TOKENS = 32;
    static final double ALPHA_E = 0.5;
    static final List<String> PROMPTS = List.of(
            "My fellow Americans,",
            "The state of our Union is",
            "We must work together to",
            "Tonight I ask the Congress to");

    @TempDir
    Path tmp;

    static Path trainedModel() {
        Path repo = Path.of(System.getProperty("veil.repo", "."));
        Path dir = repo.resolve(MODEL);
        if (!Files.isRegularFile(dir.resolve("config.json")))
            throw new IllegalStateException("missing fixture " + dir + ": the trained model is committed under " + MODEL
                    + " (train module: `veil train`)");
        return dir;
    }

    @Test
    void greedyTextThroughTheObfuscatedModelDeMappedIsText() throws Exception {
        Path plainDir = trainedModel();
        Tokenizer tokenizer = Tokenizer.load(plainDir);
        AloePriKey key = ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                        plainDir,
                        tmp.resolve("obf"),
                        tmp.resolve("obf.key"),
                        AloePriParams.paper(ModelConfig.read(plainDir).hiddenSize())
                                .withNoise(ALPHA_E, AloePriParams.DEFAULT_ALPHA_H))
                .withSeed("coherent"));
        try (ModelFiles plain = ModelFiles.open(plainDir);
                ModelFiles obf = ModelFiles.open(tmp.resolve("obf"))) {
            Transformer p = engine(plain), o = engine(obf);
            double uniform = Math.log(plain.config().vocabSize());
            for (String prompt : PROMPTS) {
                int[] ids = tokenizer.encode(prompt, false, false);
                int[] plainText = TinyModels.greedy(p, ids, TOKENS);
                int[] obfuscated = TinyModels.greedy(o, key.permutation().obfuscate(ids), TOKENS);
                int[] obfText = key.permutation().deobfuscate(obfuscated);
                double plainNll = meanNll(p, ids, plainText), obfNll = meanNll(p, ids, obfText);
                double rawNll = meanNll(p, ids, obfuscated); // the server's view: obfuscated ids read as plaintext ids
                System.out.printf(
                        Locale.ROOT,
                        "%s%n  plain      (NLL %.2f): %s%n  obfuscated (NLL %.2f): %s%n  not de-mapped (NLL %.2f)%n",
                        prompt,
                        plainNll,
                        tokenizer.decode(plainText),
                        obfNll,
                        tokenizer.decode(obfText),
                        rawNll);
                assertThat(obfNll)
                        .as("plain-model NLL of the de-mapped continuation of '%s'", prompt)
                        .isLessThan((plainNll + uniform) / 2);
                assertThat(rawNll)
                        .as("plain-model NLL of the obfuscated ids of '%s'", prompt)
                        .isGreaterThan(uniform);
            }
        }
    }

    static Transformer engine(ModelFiles m) {
        return new Transformer(new LocalLinearBackend(m.config(), m.weights(), Parallel.shared()));
    }

    /** Mean negative log-likelihood (nats) of {@code continuation} after {@code prompt} under {@code model}. */
    static double meanNll(Transformer model, int[] prompt, int[] continuation) {
        int[] all = Arrays.copyOf(prompt, prompt.length + continuation.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        int vocab = model.config().vocabSize();
        float[] logits = model.forwardAll(Arrays.copyOf(all, all.length - 1), new KvCache(model.config(), all.length));
        double nll = 0;
        for (int i = prompt.length - 1; i < all.length - 1; i++) {
            int off = i * vocab;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < vocab; k++) max = Math.max(max, logits[off + k]);
            for (int k = 0; k < vocab; k++) sum += Math.exp(logits[off + k] - max);
            nll += Math.log(sum) + max - logits[off + all[i + 1]];
        }
        return nll / continuation.length;
    }
}
