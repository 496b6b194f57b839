package dev.veil.engine;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Picks tokens from logits in vLLM's order: penalties (repetition, then frequency, then presence) on the raw logits;
 * then greedy argmax, or temperature → min-p → top-k → top-p followed by a draw from the renormalised distribution
 * with a seeded generator. Top-p is relative to what min-p and top-k kept, as in vLLM and Hugging Face. Ties in
 * probability go to the lower token id, so a seed fully determines the sequence of picks.
 *
 * <p>The penalties look at the prompt given to the constructor and at this sampler's own picks, so one sampler serves
 * one sequence and every pick is taken as generated; not thread-safe.
 */
public final class Sampler {

    private final SamplingParams params;
    private final SplittableRandom random;
    /** Ids in the prompt or the output (repetition penalty), and how often each is in the output (the other two). */
    private final BitSet seen = new BitSet();

    private int[] outputCounts = new int[0];

    public Sampler(SamplingParams params) {
        this(params, new int[0]);
    }

    /** A sampler for the sequence that continues {@code prompt} (the repetition penalty counts the prompt's ids). */
    public Sampler(SamplingParams params, int[] prompt) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        if (params.penalized()) for (int id : prompt) seen.set(id);
    }

    public SamplingParams params() {
        return params;
    }

    /** The next token for {@code logits} (one row of {@code vocab} values, not modified); it counts as generated. */
    public int sample(float[] logits) {
        float[] l = penalize(logits);
        int token = params.greedy() ? argmax(l) : draw(distribution(l, params));
        if (params.penalized()) {
            seen.set(token);
            if (token >= outputCounts.length)
                outputCounts = Arrays.copyOf(outputCounts, Math.max(token + 1, 2 * outputCounts.length));
            outputCounts[token]++;
        }
        return token;
    }

    private int draw(Candidates c) {
        double u = random.nextDouble();
        double cumulative = 0;
        for (int i = 0; i < c.ids.length; i++) {
            cumulative += c.probs[i];
            if (u < cumulative) return c.ids[i];
        }
        return c.ids[c.ids.length - 1]; // u within rounding of 1
    }

    /**
     * {@code logits} after the penalties for what this sequence holds so far, in float32 and in vLLM's order
     * ({@code logits} itself when no penalty is on): a token in the prompt or the output has a positive logit divided
     * by the repetition penalty, a negative one multiplied; then each token the output holds loses
     * {@code frequency_penalty} × its count, then {@code presence_penalty}.
     */
    public float[] penalize(float[] logits) {
        if (!params.penalized()) return logits;
        float[] l = logits.clone();
        float repetition = (float) params.repetitionPenalty();
        if (repetition != 1)
            for (int id = seen.nextSetBit(0); id >= 0 && id < l.length; id = seen.nextSetBit(id + 1))
                l[id] = l[id] > 0 ? l[id] / repetition : l[id] * repetition;
        float frequency = (float) params.frequencyPenalty(), presence = (float) params.presencePenalty();
        for (int id = 0; id < Math.min(outputCounts.length, l.length); id++) {
            if (outputCounts[id] == 0) continue;
            l[id] -= frequency * outputCounts[id];
            l[id] -= presence;
        }
        return l;
    }

    /** The highest logit's index; the lowest index among equals. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Tokens that can be drawn and their probabilities (summing to 1), most likely first. */
    public record Candidates(int[] ids, double[] probs) {}

    /**
     * The distribution a non-greedy {@code params} draws from: softmax(logits / T), cut by min-p, then top-k, then top-p
     * relative to what is left. Penalties are not applied here: they belong to a sequence ({@link #penalize}).
     */
    public static Candidates distribution(float[] logits, SamplingParams params) {
        int vocab = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[vocab];
        double total = 0;
        for (int i = 0; i < vocab; i++) total += p[i] = Math.exp((logits[i] - max) / params.temperature());
        for (int i = 0; i < vocab; i++) p[i] /= total;

        // min-p: the most likely token's probability is 1 / total (its exp is 1); the floor is a fraction of that
        double floor = params.minP() * (1 / total);
        double kept = 1;
        int keptCount = vocab;
        if (floor > 0) {
            kept = 0;
            keptCount = 0;
            for (double q : p) {
                if (q >= floor) {
                    kept += q;
                    keptCount++;
                }
            }
        }
        // top-p is relative to what min-p and top-k kept (both renormalise before it), else to the whole vocabulary
        int[] ids;
        double reference = kept;
        if (params.topK() > 0) {
            ids = mostLikely(p, Math.min(params.topK(), keptCount), Double.POSITIVE_INFINITY, floor);
            reference = 0;
            for (int id : ids) reference += p[id];
        } else if (params.topP() < 1) {
            ids = mostLikely(p, keptCount, params.topP() * kept, floor);
        } else {
            ids = IntStream.range(0, vocab).filter(i -> p[i] >= floor).toArray(); // no order needed
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
     * fewer once they hold {@code mass} of the probability, which is all top-p needs; none below {@code floor}. Only
     * ids above a threshold (lowered until enough pass) are sorted, so a 150k vocabulary is not sorted for every token.
     */
    private static int[] mostLikely(double[] p, int k, double mass, double floor) {
        double pMax = Arrays.stream(p).max().orElse(0);
        for (double threshold = pMax * 1e-3; ; threshold *= 1e-3) {
            if (threshold < Double.MIN_NORMAL) threshold = 0;
            if (threshold <= floor) threshold = floor; // the last round: nothing below the floor counts
            int count = 0;
            double held = 0;
            for (double q : p) {
                if (q >= threshold) {
                    count++;
                    held += q;
                }
            }
            // Everything below the threshold is less likely than everything above it, so the answer lies above.
            if (count >= k || held >= mass || threshold == floor) {
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
