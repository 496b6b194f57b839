package dev.veil.engine;

import java.util.Arrays;

/**
 * Perplexity of a model on a token sequence: the sequence is cut into consecutive windows of the context length, each
 * run from an empty cache; every token of a window but its first is scored by the logits of the position before it.
 */
public final class Perplexity {

    /** Positions whose logits are held at once ({@code chunk × vocab} floats). */
    private static final int CHUNK = 64;

    private Perplexity() {}

    /** @param tokens  the number of tokens scored; {@code meanNll} in nats */
    public record Result(int tokens, double meanNll) {
        public double perplexity() {
            return Math.exp(meanNll);
        }
    }

    public static Result evaluate(Transformer model, int[] tokens, int contextLength) {
        if (contextLength < 2)
            throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        if (tokens.length < 2)
            throw new IllegalArgumentException("perplexity needs at least 2 tokens, got " + tokens.length);
        int vocab = model.config().vocabSize();
        double nll = 0;
        int scored = 0;
        for (int w = 0; w < tokens.length - 1; w += contextLength) {
            int end = Math.min(tokens.length, w + contextLength);
            KvCache cache = new KvCache(model.config(), contextLength);
            for (int from = w; from < end - 1; from += CHUNK) {
                int to = Math.min(end - 1, from + CHUNK); // the last token of a window is only ever a target
                float[] logits = model.forwardAll(Arrays.copyOfRange(tokens, from, to), cache);
                for (int i = from; i < to; i++)
                    nll += negativeLogLikelihood(logits, (i - from) * vocab, vocab, tokens[i + 1]);
                scored += to - from;
            }
        }
        return new Result(scored, nll / scored);
    }

    /** {@code -log softmax(logits[off .. off + vocab))[target]}, in double. */
    static double negativeLogLikelihood(float[] logits, int off, int vocab, int target) {
        if (target < 0 || target >= vocab)
            throw new IllegalArgumentException("token id " + target + " is outside the vocabulary [0, " + vocab + ")");
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < vocab; k++) max = Math.max(max, logits[off + k]);
        double sum = 0;
        for (int k = 0; k < vocab; k++) sum += Math.exp(logits[off + k] - max);
        return Math.log(sum) + max - logits[off + target];
    }
}
