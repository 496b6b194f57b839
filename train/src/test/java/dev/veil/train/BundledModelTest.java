package dev.veil.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.Perplexity;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.Fixtures;
import dev.veil.model.ModelConfig;
import dev.veil.model.safetensors.SafetensorsWeights;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.model.Transformer;
import dev.veil.train.nn.Tape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The committed model, models/veil-sotu-qwen2: what it is, and that training's forward pass and the engine agree on it. */
class BundledModelTest {
    static Path dir;
    static ModelConfig config;
    static Tokenizer tokenizer;
    static SafetensorsWeights weights;
    static Transformer trained;
    static dev.veil.engine.Transformer engine;
    static LocalLinearBackend backend;
    static int[] window; // the document-start token and the first 255 tokens of the 2021 address

    @BeforeAll
    static void load() throws IOException {
        String repo = System.getProperty("veil.repo");
        if (repo == null) throw new IllegalStateException("system property veil.repo is not set (surefire sets it)");
        dir = Path.of(repo, "models", "veil-sotu-qwen2");
        if (!Files.isRegularFile(dir.resolve("model.safetensors")))
            throw new IllegalStateException(dir + " is missing: the bundled model is committed with the repository");
        config = ModelConfig.read(dir);
        tokenizer = Tokenizer.load(dir);
        weights = SafetensorsWeights.open(dir);
        trained = Transformer.fromWeights(config, weights);
        backend = new LocalLinearBackend(config, weights, Parallel.shared());
        engine = new dev.veil.engine.Transformer(backend);
        int[] ids = tokenizer.encode(address2021(), false, false);
        window = new int[256];
        window[0] = config.bosTokenId();
        System.arraycopy(ids, 0, window, 1, 255);
    }

    @AfterAll
    static void close() {
        backend.close();
        weights.close();
    }

    private static String address2021() throws IOException {
        return Files.readString(Fixtures.sotuPackage().resolve("data/2021_joseph_r_biden_d.txt"))
                .strip();
    }

    @Test
    void isASmallQwen2WithGqaBiasAndTiedEmbeddings() throws IOException {
        assertThat(config.architecture()).isEqualTo(ModelConfig.Architecture.QWEN2);
        assertThat(config.attentionBias()).isTrue();
        assertThat(config.tieWordEmbeddings()).isTrue();
        assertThat(config.numKvHeads()).isLessThan(config.numHeads());
        assertThat(config.maxPositionEmbeddings()).isGreaterThanOrEqualTo(256);
        assertThat(config.vocabSize()).isEqualTo(tokenizer.vocabSize()).isBetween(4096, 16384);
        assertThat(tokenizer.token(config.bosTokenId())).isEqualTo("<|endoftext|>");
        assertThat(Files.size(dir.resolve("model.safetensors"))).isLessThan(9_000_000);
    }

    @Test
    void huggingFaceTokenizersGiveTheSameIds() throws IOException {
        String text = address2021();
        try (HuggingFaceTokenizer hf =
                HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of("truncation", "false"))) {
            long[] theirs = hf.encode(text, false, false).getIds();
            assertThat(tokenizer.encode(text, false, false))
                    .containsExactly(
                            Arrays.stream(theirs).mapToInt(x -> (int) x).toArray());
        }
    }

    @Test
    void trainingsForwardPassAndTheEngineGiveTheSameLogits() {
        float[] ours =
                trained.logits(Tape.inference(), window, 1, window.length).value();
        float[] theirs = engine.forwardAll(window, engine.newCache());
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < ours.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
            maxAbs = Math.max(maxAbs, Math.abs(ours[i]));
        }
        // the same float32 arithmetic in other summation orders, through 4 layers and 256 positions (seen: 1.3e-5 at
        // 14)
        assertThat(maxDiff)
                .as("largest logit difference (largest logit %.2f)", maxAbs)
                .isLessThan(1e-5 * maxAbs);
    }

    @Test
    void greedyDecodingIsIdentical() {
        int[] prompt = Arrays.copyOf(window, 32);
        int[] engineOut = new Generator(engine)
                .generate(prompt, new GenerationOptions(24, SamplingParams.GREEDY, Set.of()))
                .outputIds();
        int[] seq = Arrays.copyOf(prompt, prompt.length + 24);
        int vocab = config.vocabSize();
        for (int n = prompt.length; n < seq.length; n++) {
            float[] logits = trained.logits(Tape.inference(), Arrays.copyOf(seq, n), 1, n)
                    .value();
            int best = 0;
            for (int j = 1; j < vocab; j++) if (logits[(n - 1) * vocab + j] > logits[(n - 1) * vocab + best]) best = j;
            seq[n] = best;
        }
        assertThat(engineOut).containsExactly(Arrays.copyOfRange(seq, prompt.length, seq.length));
    }

    @Test
    void perplexityAgreesWithTheEngines() {
        double ours = Evaluation.run(trained, new CorpusTokens(window), 255, 1).perplexity();
        Perplexity.Result theirs = Perplexity.evaluate(engine, window, 256);
        assertThat(theirs.tokens()).isEqualTo(255);
        assertThat(ours).isCloseTo(theirs.perplexity(), org.assertj.core.data.Percentage.withPercentage(0.01));
        assertThat(ours).isLessThan(1000); // a trained model: well below the 4096 of a uniform guess
    }
}
