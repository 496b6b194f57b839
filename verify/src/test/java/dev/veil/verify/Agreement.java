package dev.veil.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.Close;
import dev.veil.engine.Sampler;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** How two engines' outputs are compared, with failure messages that tell a near-tie from a bug. */
final class Agreement {
    private Agreement() {}

    /** The agreement tests' run, against llama.cpp and Jlama alike: this many random prompts, continuations this long. */
    static final int PROMPTS = 24;

    static final int CONTINUATION = 64;

    /**
     * F32 logits, relative to the logit scale (max |Δ| / max |logit|). Both engines compute the same float32 math in
     * different orders, so they differ by rounding only: llama.cpp sums dot products in its own SIMD/tiling order
     * (llamafile sgemm for batches), takes RoPE angles as {@code theta_scale^i} by repeated float multiplication and
     * cos/sin in float (Veil: double angles), uses a vectorised expf approximation in SiLU and softmax, and writes
     * the rope_freqs factors as float; Veil rounds differently at each of those steps. Each rounding is ~6·10⁻⁸
     * relative; through two or three layers and 64-to-232-wide dot products they add up to ~10⁻⁶ of the logit scale
     * (measured on these shapes: 4·10⁻⁷ to 1.4·10⁻⁶). 10⁻⁴ leaves two orders of magnitude for other thread counts and
     * CPUs, while a real bug — a wrong RoPE pairing or position, a missing bias or norm weight, a wrong GQA head
     * mapping — changes the computation rather than its rounding. K/V are cached in F32 on the llama.cpp side (its
     * default is F16) and flash attention is off, so attention runs at F32 too. Jlama differs from Veil in the same
     * way, by rounding order only (its Panama dot products, its float RoPE tables, FastMath exp in SiLU and softmax).
     */
    static final double F32_TOLERANCE = 1e-4;

    /**
     * The F32 agreement of one shape with {@code reference} (an engine's name; {@code version} is printed with it):
     * logits within {@link #F32_TOLERANCE}, identical greedy continuations, a summary line, and continuations that
     * explore the vocabulary. The one check of the llama.cpp and Jlama agreement tests.
     */
    static void assertAgreesAtF32(
            Object shape,
            String reference,
            String version,
            List<int[]> prompts,
            List<float[]> veilLogits,
            List<float[]> referenceLogits,
            List<int[]> veilTokens,
            List<int[]> referenceTokens,
            Function<int[], float[]> logitsAfter) {
        String what = shape + " vs " + reference;
        double worst = assertLogitsAgree(what, prompts, veilLogits, referenceLogits, F32_TOLERANCE);
        assertGreedyAgree(what, prompts, veilTokens, referenceTokens, logitsAfter);
        long distinct = distinctTokens(veilTokens);
        System.out.printf(
                Locale.ROOT,
                "%s %s: worst relative logit error %.2e over %d prompts; %d greedy tokens identical (%d distinct)%n",
                what,
                version,
                worst,
                prompts.size(),
                prompts.size() * CONTINUATION,
                distinct);
        assertThat(distinct).as("the continuations explore the vocabulary").isGreaterThan(PROMPTS);
    }

    /** Asserts every prompt's logits agree within {@code tolerance}; returns the worst relative error seen. */
    static double assertLogitsAgree(
            String what, List<int[]> prompts, List<float[]> veil, List<float[]> reference, double tolerance) {
        double worst = 0;
        for (int p = 0; p < prompts.size(); p++) {
            double err = Close.relativeError(veil.get(p), reference.get(p));
            worst = Math.max(worst, err);
            assertThat(err)
                    .as("%s: relative logit error on prompt %d (%d tokens)", what, p, prompts.get(p).length)
                    .isLessThanOrEqualTo(tolerance);
            assertThat(Sampler.argmax(veil.get(p)))
                    .as("%s: argmax on prompt %d", what, p)
                    .isEqualTo(Sampler.argmax(reference.get(p)));
        }
        return worst;
    }

    /**
     * Asserts the greedy continuations are identical. On a mismatch the message gives the first diverging step and the
     * relative top-1/top-2 margin of Veil's logits there ({@code logitsAfter} runs Veil on a token sequence): a margin
     * below the logit tolerance would be a near-tie, anything larger a real disagreement.
     */
    static void assertGreedyAgree(
            String what,
            List<int[]> prompts,
            List<int[]> veil,
            List<int[]> reference,
            Function<int[], float[]> logitsAfter) {
        for (int p = 0; p < prompts.size(); p++) {
            int[] v = veil.get(p), r = reference.get(p);
            int step = Arrays.mismatch(v, r);
            if (step < 0) continue;
            String margin = "";
            if (step < v.length && step < r.length) {
                int[] context = concat(prompts.get(p), Arrays.copyOf(v, step));
                margin = String.format(
                        Locale.ROOT,
                        "; Veil's relative top-2 margin there: %.2e",
                        relativeMargin(logitsAfter.apply(context)));
            }
            throw new AssertionError(String.format(
                    Locale.ROOT,
                    "%s: greedy continuation of prompt %d diverges at step %d%s%n veil:      %s%n reference: %s",
                    what,
                    p,
                    step,
                    margin,
                    Arrays.toString(v),
                    Arrays.toString(r)));
        }
    }

    /** (top1 − top2) / (max − min) of one logit vector. */
    static double relativeMargin(float[] logits) {
        float[] s = logits.clone();
        Arrays.sort(s);
        return (s[s.length - 1] - s[s.length - 2]) / (double) (s[s.length - 1] - s[0]);
    }

    /** Distinct tokens over all continuations: evidence that the comparison is not of one repeated token. */
    static long distinctTokens(List<int[]> continuations) {
        return continuations.stream().flatMapToInt(Arrays::stream).distinct().count();
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
