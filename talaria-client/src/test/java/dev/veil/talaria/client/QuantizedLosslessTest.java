package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.Close;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.Sampler;
import dev.veil.engine.Transformer;
import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.GenerationConfig;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.Tensor;
import dev.veil.model.gguf.GgufExport;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.MaskSpec;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cloud serving a quantized GGUF (Q8_0, Q4_K_M as {@code veil convert} writes them): Talaria's output is the
 * quantized plain model's — the same weights dequantized and multiplied with float activations ({@link
 * Batching#LINEAR}) — greedy token for token, logits to float rounding. And why the cloud must not quantize its
 * input as llama.cpp's kernels do: a masked row x + m rounds to a step set by the mask, so (x + m)·W − m·W is not
 * x·W.
 */
class QuantizedLosslessTest {

    @TempDir
    static Path tmp;

    static final int PROMPTS = 3;
    static final int TOKENS = 8;

    /** Qwen2 with hidden 256 and FFN 256: whole Q4_K blocks (Q4_K, Q6_K for attn_v/ffn_down/the tied embedding). */
    static ModelConfig config() {
        return ModelConfig.of(ModelConfig.Architecture.QWEN2, 320, 256, 256, 2, 4, 2, 64)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(256, true, true, -1, List.of(319));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_K"})
    void greedyAndLogitsAreTheQuantizedPlainModels(String type) throws Exception {
        DType dtype = DType.valueOf(type);
        ModelConfig c = config();
        Path gguf = tmp.resolve(type + ".gguf");
        GgufExport.write(
                c,
                GenerationConfig.of(c.bosTokenId(), c.eosTokenIds()),
                TinyModels.random(c, 31),
                null,
                "quantized-lossless",
                gguf,
                dtype);
        try (ModelFiles files = ModelFiles.open(gguf);
                Harness h = new Harness(files.config(), files.weights(), Batching.LINEAR)) {
            assertThat(files.weights()
                            .get("model.layers.0.self_attn.q_proj.weight")
                            .dtype())
                    .isEqualTo(dtype);
            MaskedRemoteBackend talaria = h.client(TalariaOptions.DEFAULT.withHidden(MaskSpec.remo(0.5)));
            double worst = 0;
            int sameArgmax = 0;
            for (int[] prompt : h.prompts(PROMPTS, 41)) {
                assertThat(Harness.greedy(talaria, prompt, TOKENS))
                        .as("%s, prompt %s", type, Arrays.toString(prompt))
                        .containsExactly(Harness.greedy(h.local, prompt, TOKENS));
                float[] plain = logits(h.local, prompt), masked = logits(talaria, prompt);
                worst = Math.max(worst, Close.relativeError(masked, plain));
                if (Sampler.argmax(masked) == Sampler.argmax(plain)) sameArgmax++;
            }
            System.out.printf(
                    "[talaria] %s GGUF, ReMO 0.5: largest |Δlogit| / max |logit| vs the plain engine (LINEAR) %.3g%n",
                    type, worst);
            assertThat(sameArgmax).isEqualTo(PROMPTS);
            // float rounding of the masked products, as at F32 (LosslessTest); a quantized input would be ~1e-1
            assertThat(worst).isLessThan(1e-4);
        }
    }

    /**
     * One masked product, the way the cloud would compute it with llama.cpp-style kernels (input quantized to Q8 per
     * block, {@link Batching#FASTEST}) and the way it does ({@link Batching#LINEAR}): unmasked error relative to the
     * quantized plain product x·W (dequantized W, float x).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_K"})
    void quantizingTheMaskedInputBreaksExactness(String type) {
        DType dtype = DType.valueOf(type);
        int rows = 64, cols = 256, n = 4;
        Random r = new Random(5);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() / Math.sqrt(cols));
        Matrix m = Matrix.of(Tensor.of("w", dtype, w, rows, cols));
        float[] x = new float[n * cols], mask = new float[n * cols], masked = new float[n * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
            mask[i] = (float) (8 * r.nextGaussian()); // the client's masks are several times the row (LosslessTest)
            masked[i] = x[i] + mask[i];
        }
        float[] exact = product(m, x, n, Batching.LINEAR);
        double linear = unmaskedError(m, masked, mask, n, exact, Batching.LINEAR);
        double quantized = unmaskedError(m, masked, mask, n, exact, Batching.FASTEST);
        double plainQuantized = relative(product(m, x, n, Batching.FASTEST), exact);
        System.out.printf(
                "[talaria] %s product, mask 8x the row: unmasked error / |x·W| — float input %.3g, Q8-quantized input"
                        + " %.3g (the unmasked input quantized: %.3g)%n",
                type, linear, quantized, plainQuantized);
        assertThat(linear).isLessThan(1e-5);
        assertThat(quantized).isGreaterThan(10 * plainQuantized).isGreaterThan(1e-2);
    }

    /** Last-position logits (LosslessTest's own helper would start that class's servers). */
    private static float[] logits(LinearBackend b, int[] prompt) {
        Transformer t = new Transformer(b);
        return t.forward(prompt, t.newCache());
    }

    private static double unmaskedError(Matrix m, float[] masked, float[] mask, int n, float[] exact, Batching b) {
        float[] y = product(m, masked, n, b), ym = product(m, mask, n, b);
        for (int i = 0; i < y.length; i++) y[i] -= ym[i];
        return relative(y, exact);
    }

    private static float[] product(Matrix m, float[] x, int n, Batching b) {
        float[] out = new float[n * m.rows()];
        MatMul.multiply(Parallel.shared(), x, n, new Matrix[] {m}, out, b);
        return out;
    }

    /** max |a − b| / max |b|. */
    private static double relative(float[] a, float[] b) {
        double d = 0, s = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
            s = Math.max(s, Math.abs(b[i]));
        }
        return d / s;
    }
}
