package dev.veil.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits: greedy, or temperature → top-k → top-p (the order of Hugging Face's {@code generate})
 * followed by a draw from the renormalised distribution with a seeded generator. Ties in probability go to the lower
 * token id, so a seed fully determines the sequence of picks.
 *
 * <p>One sampler per sequence (it carries the random state); not thread-safe.
 */
public final class Sampler {

    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    public SamplingParams params() {
        return params;
    }

    /** The next token for {@code logits} (one row of {@code vocab} values, not modified). */
    public int sample(float[] logits) {
        if (params.greedy()) return argmax(logits);
        Candidates c = distribution(logits, params);
        double u = random.nextDouble();
        double cumulative = 0;
        for (int i = 0; i < c.ids.length; i++) {
            cumulative += c.probs[i];
            if (u < cumulative) return c.ids[i];
        }
        return c.ids[c.ids.length - 1]; // u within rounding of 1
    }

    /** The highest logit's index; the lowest index among equals. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Tokens that can be drawn and their probabilities (summing to 1), most likely first. */
    public record Candidates(int[] ids, double[] probs) {}

    /** The distribution a non-greedy {@code params} draws from: softmax(logits / T), cut by top-k, then by top-p. */
    public static Candidates distribution(float[] logits, SamplingParams params) {
        int vocab = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[vocab];
        double total = 0;
        for (int i = 0; i < vocab; i++) total += p[i] = Math.exp((logits[i] - max) / params.temperature());
        for (int i = 0; i < vocab; i++) p[i] /= total;

        // top-p is relative to what top-k kept (Hugging Face renormalises after top-k), else to the whole vocabulary
        int[] ids;
        double reference = 1;
        if (params.topK() > 0) {
            ids = mostLikely(p, Math.min(params.topK(), vocab), Double.POSITIVE_INFINITY);
            reference = 0;
            for (int id : ids) reference += p[id];
        } else if (params.topP() < 1) {
            ids = mostLikely(p, vocab, params.topP());
        } else {
            ids = java.util.stream.IntStream.range(0, vocab).toArray(); // plain temperature: no order needed
        }
        int count = ids.length;
        if (params.topP() < 1) {
            double cumulative = 0;
            for (int i = 0; i < ids.length; i++) {
                cumulative += p[ids[i]];
                if (cumulative >= params.topP() * reference) {
                    count = i + 1;
                    break;
                }
            }
        }
        double sum = 0;
        for (int i = 0; i < count; i++) sum += p[ids[i]];
        int[] out = Arrays.copyOf(ids, count);
        double[] probs = new double[count];
        for (int i = 0; i < count; i++) probs[i] = p[out[i]] / sum;
        return new Candidates(out, probs);
    }

    /**
     * The {@code k} most likely ids, most likely first (ties: lower id first; probabilities compared as floats), or
     * fewer once they hold {@code mass} of the probability, which is all top-p needs. Only ids above a threshold
     * (lowered until enough pass) are sorted, so a 150k vocabulary is not sorted for every token.
     */
    private static int[] mostLikely(double[] p, int k, double mass) {
        double pMax = Arrays.stream(p).max().orElse(0);
        for (double threshold = pMax * 1e-3; ; threshold *= 1e-3) {
            if (threshold < Double.MIN_NORMAL) threshold = 0;
            int count = 0;
            double held = 0;
            for (double q : p) {
                if (q >= threshold) {
                    count++;
                    held += q;
                }
            }
            // Everything below the threshold is less likely than everything above it, so the answer lies above.
            if (count >= k || held >= mass || threshold == 0) {
                long[] keys = new long[count];
                int j = 0;
                for (int i = 0; i < p.length; i++)
                    if (p[i] >= threshold) keys[j++] = (long) -Float.floatToIntBits((float) p[i]) << 32 | i;
                Arrays.sort(keys);
                int[] ids = new int[Math.min(k, count)];
                for (int i = 0; i < ids.length; i++) ids[i] = (int) keys[i];
                return ids;
            }
        }
    }
}
