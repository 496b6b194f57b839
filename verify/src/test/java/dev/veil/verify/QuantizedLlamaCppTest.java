package dev.veil.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.bench.LlamaCpp;
import dev.veil.bench.VeilEngine;
import dev.veil.engine.Close;
import dev.veil.engine.Sampler;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelFiles;
import dev.veil.model.VeilCache;
import dev.veil.model.gguf.GgufExport;
import dev.veil.model.gguf.GgufFile;
import dev.veil.model.gguf.GgufTensorInfo;
import dev.veil.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Veil-written Q8_0 and Q4_K_M GGUFs run by stock llama.cpp (node-llama-cpp's prebuilt CPU build) and by Veil on the
 * same file. The bundled trained model, on 20 held-out SOTU prompts: identical greedy continuations, logits within
 * {@link #TOLERANCE}. Random shapes: logits within {@link #TOLERANCE}, and greedy continuations identical up to the
 * first near-tie (see {@link #assertAgree}). Two random shapes have rows of whole 256-blocks, so Q4_K and Q6_K are
 * multiplied; the others take llama-quantize's fallbacks (Q5_0, Q8_0, and F16 for rows that are not whole 32-blocks).
 */
class QuantizedLlamaCppTest {

    /**
     * Relative to the logit scale. Both engines compute the same integer block products with the same scales (Veil
     * quantizes activations to Q8_0/Q8_K as llama.cpp does): most prompts agree to ~10⁻⁷, as at F32. But an activation
     * whose float value the two engines round differently (RMSNorm, softmax, SiLU are computed in different orders, see
     * {@link Agreement#F32_TOLERANCE}) and that lies within that rounding of a half-step lands on a
     * different integer: its product moves by a whole step, 1/127 of its block's largest activation. Measured: prompts
     * either agree to ~10⁻⁷ or, after such a flip, differ by 0.5–1.4·10⁻²; F16 fallback tensors add llama.cpp's
     * rounding of their activations to F16 (its vec_dot_type for F16). 3·10⁻² still catches a wrong block layout,
     * scale or nibble order, which garbles the logits entirely (errors of order 1).
     */
    static final double TOLERANCE = 3e-2;

    static final int PROMPTS = 12, CONTINUATION = 32;

    /** Rows of whole 256-blocks: Q4_K (hidden 256) and Q6_K (attn_v, ffn_down of the use_more_bits layers, output). */
    static final ModelConfig K_LLAMA = ModelConfig.of(Architecture.LLAMA, 384, 256, 512, 2, 4, 2, 64)
            .withNorm(1e-5, 10000.0, null)
            .withTokens(256, false, false, 382, List.of(383));

    static final ModelConfig K_QWEN2_TIED = ModelConfig.of(Architecture.QWEN2, 320, 256, 768, 2, 4, 1, 64)
            .withNorm(1e-6, 1000000.0, null)
            .withTokens(256, true, true, 318, List.of(319));

    @TempDir
    static Path tmp;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("K_QWEN2_TIED", K_QWEN2_TIED, DType.Q8_0),
                Arguments.of(
                        Shapes.LLAMA_TIED_BIAS_ODD_HEAD_DIM.name(),
                        Shapes.LLAMA_TIED_BIAS_ODD_HEAD_DIM.config,
                        DType.Q8_0),
                Arguments.of("K_LLAMA", K_LLAMA, DType.Q4_K),
                Arguments.of("K_QWEN2_TIED", K_QWEN2_TIED, DType.Q4_K),
                Arguments.of(Shapes.LLAMA_GQA_LLAMA3.name(), Shapes.LLAMA_GQA_LLAMA3.config, DType.Q4_K),
                Arguments.of(
                        Shapes.QWEN2_MQA_UNTIED_ODD_HEAD_DIM.name(),
                        Shapes.QWEN2_MQA_UNTIED_ODD_HEAD_DIM.config,
                        DType.Q4_K));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void veilAndLlamaCppAgreeOnTheSameQuantizedFile(String name, ModelConfig config, DType dtype) throws Exception {
        Fixture f = Fixture.create(name + "_" + dtype, config, name.hashCode(), dtype, tmp);
        List<int[]> prompts = Prompts.random(config.vocabSize(), PROMPTS, 40, 500 + name.hashCode());
        assertAgree(name + " " + dtype, f.gguf(), prompts, false);
    }

    @ParameterizedTest
    @MethodSource("quantTypes")
    void bundledModelOnHeldOutPrompts(DType dtype) throws Exception {
        Path model = Path.of(System.getProperty("veil.repo", "..")).resolve("models/veil-sotu-qwen2");
        Path gguf = tmp.resolve("bundled-" + dtype + ".gguf");
        try (ModelFiles files = ModelFiles.open(model)) {
            GgufExport.write(files, gguf, dtype);
        }
        List<int[]> prompts = BundledModelLlamaCppTest.heldOutPrompts(Tokenizer.load(model));
        assertAgree("bundled model " + dtype, gguf, prompts, true);
    }

    static Stream<DType> quantTypes() {
        return Stream.of(DType.Q8_0, DType.Q4_K);
    }

    /**
     * Logits within {@link #TOLERANCE} and the same argmax unless llama.cpp's top two are within it; greedy
     * continuations identical ({@code strict}), or identical up to a step where Veil's top two are within
     * {@link #TOLERANCE} of each other (a near-tie, which either engine may legitimately break its way; the rest of
     * that continuation is not compared).
     */
    static void assertAgree(String what, Path gguf, List<int[]> prompts, boolean strict) throws Exception {
        TreeSet<String> types = new TreeSet<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            for (GgufTensorInfo t : g.tensors())
                if (t.ne().length == 2) types.add(t.type().name());
        }
        LlamaCpp.Reply reply = LlamaCpp.locate(VeilCache.dir())
                .run(
                        new LlamaCpp.Request(
                                gguf, LlamaCppAgreementTest.LLAMA_THREADS, 256, prompts, true, CONTINUATION, null),
                        Duration.ofMinutes(3));
        assertThat(reply.results()).hasSize(prompts.size());
        try (VeilEngine veil = VeilEngine.open(gguf, LlamaCppAgreementTest.VEIL_THREADS)) {
            double worst = 0;
            int identical = 0, compared = 0;
            for (int p = 0; p < prompts.size(); p++) {
                float[] mine = veil.lastLogits(prompts.get(p)),
                        theirs = reply.results().get(p).logits();
                double err = Close.relativeError(mine, theirs);
                worst = Math.max(worst, err);
                assertThat(err)
                        .as("%s: relative logit error on prompt %d", what, p)
                        .isLessThanOrEqualTo(TOLERANCE);
                if (Agreement.relativeMargin(theirs) > TOLERANCE)
                    assertThat(Sampler.argmax(mine))
                            .as("%s: argmax on prompt %d", what, p)
                            .isEqualTo(Sampler.argmax(theirs));
                int[] v = veil.greedy(prompts.get(p), CONTINUATION),
                        r = reply.results().get(p).tokens();
                int step = Arrays.mismatch(v, r);
                if (step < 0) {
                    identical++;
                    compared += CONTINUATION;
                    continue;
                }
                compared += step;
                double margin = Agreement.relativeMargin(
                        veil.lastLogits(Agreement.concat(prompts.get(p), Arrays.copyOf(v, step))));
                if (strict || margin > TOLERANCE)
                    throw new AssertionError(String.format(
                            Locale.ROOT,
                            "%s: greedy continuation of prompt %d diverges at step %d; "
                                    + "Veil's relative top-2 margin there: %.2e%n veil:      %s%n reference: %s",
                            what,
                            p,
                            step,
                            margin,
                            Arrays.toString(v),
                            Arrays.toString(r)));
                System.out.printf(
                        Locale.ROOT,
                        "%s: prompt %d diverges at a near-tie, step %d (margin %.1e)%n",
                        what,
                        p,
                        step,
                        margin);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%s %s vs llama.cpp %s: worst relative logit error %.2e; %d of %d continuations identical, "
                            + "%d greedy tokens compared, all equal%n",
                    what,
                    types,
                    reply.llamaCpp().release(),
                    worst,
                    identical,
                    prompts.size(),
                    compared);
        }
    }
}
