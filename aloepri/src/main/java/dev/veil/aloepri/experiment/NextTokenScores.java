package dev.veil.aloepri.experiment;

import dev.veil.engine.KvCache;
import dev.veil.engine.Transformer;
import java.util.Arrays;

/**
 * A model's next-token predictions over a token sequence: the negative log-likelihood of every actual next token and
 * the argmax prediction at every position. The sequence is cut into windows of the context length, each run from an
 * empty cache, like {@link dev.veil.engine.Perplexity}; the last token of a window is only a target.
 *
 * @param nll    nats, per scored position
 * @param argmax the most likely next token, per scored position
 * @param target the actual next token, per scored position
 */
public record NextTokenScores(double[] nll, int[] argmax, int[] target) {

    /** Positions whose logits are held at once ({@code chunk × vocab} floats). */
    private static final int CHUNK = 64;

    public static NextTokenScores of(Transformer model, int[] tokens, int context) {
        if (context < 2) throw new IllegalArgumentException("context length must be at least 2, got " + context);
        if (tokens.length < 2) throw new IllegalArgumentException("need at least 2 tokens, got " + tokens.length);
        int vocab = model.config().vocabSize();
        int scored = 0;
        for (int w = 0; w < tokens.length - 1; w += context) scored += Math.min(tokens.length, w + context) - 1 - w;
        double[] nll = new double[scored];
        int[] argmax = new int[scored], target = new int[scored];
        int at = 0;
        for (int w = 0; w < tokens.length - 1; w += context) {
            int end = Math.min(tokens.length, w + context);
            KvCache cache = new KvCache(model.config(), context);
            for (int from = w; from < end - 1; from += CHUNK) {
                int to = Math.min(end - 1, from + CHUNK);
                float[] logits = model.forwardAll(Arrays.copyOfRange(tokens, from, to), cache);
                for (int i = from; i < to; i++, at++) {
                    int off = (i - from) * vocab;
                    target[at] = tokens[i + 1];
                    nll[at] = negativeLogLikelihood(logits, off, vocab, target[at]);
                    argmax[at] = argmax(logits, off, vocab);
                }
            }
        }
        return new NextTokenScores(nll, argmax, target);
    }

    public int positions() {
        return nll.length;
    }

    public double meanNll() {
        return Arrays.stream(nll).average().orElseThrow();
    }

    public double perplexity() {
        return Math.exp(meanNll());
    }

    /** Fraction of positions where the prediction is the actual next token. */
    public double accuracy() {
        return matching(argmax, target);
    }

    /** Fraction of positions where {@code a} and {@code b} agree. */
    public static double matching(int[] a, int[] b) {
        if (a.length != b.length) throw new IllegalArgumentException(a.length + " vs " + b.length + " positions");
        int hits = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) hits++;
        return (double) hits / a.length;
    }

    static double negativeLogLikelihood(float[] logits, int off, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < vocab; k++) max = Math.max(max, logits[off + k]);
        double sum = 0;
        for (int k = 0; k < vocab; k++) sum += Math.exp(logits[off + k] - max);
        return Math.log(sum) + max - logits[off + target];
    }

    static int argmax(float[] logits, int off, int vocab) {
        int best = 0;
        for (int k = 1; k < vocab; k++) if (logits[off + k] > logits[off + best]) best = k;
        return best;
    }
}
