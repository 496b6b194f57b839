package dev.veil.train;

import java.util.HashMap;
import java.util.Map;

/**
 * Unigram and bigram language models with add-k smoothing over the same tokens as the model, the yardsticks of
 * the model card: {@code p(w) = (c(w)+k)/(N+kV)}, {@code p(w|u) = (c(u,w)+k)/(c(u)+kV)}.
 */
public final class NgramBaseline {
    private final int vocab;
    private final long[] unigram;
    private final long total;
    private final long[] predecessor; // c(u): how often u is followed by anything
    private final Map<Long, long[]> bigram = new HashMap<>();

    public NgramBaseline(CorpusTokens train, int vocab) {
        this.vocab = vocab;
        int[] t = train.tokens();
        unigram = new long[vocab];
        predecessor = new long[vocab];
        for (int i = 0; i < t.length; i++) {
            unigram[t[i]]++;
            if (i > 0) {
                predecessor[t[i - 1]]++;
                bigram.computeIfAbsent(key(t[i - 1], t[i]), x -> new long[1])[0]++;
            }
        }
        total = t.length;
    }

    private static long key(int u, int w) {
        return ((long) u << 32) | w;
    }

    /** Mean negative log-likelihood (nats) of every token of {@code s} after the first, under the unigram model. */
    public double unigramCrossEntropy(CorpusTokens s, double k) {
        int[] t = s.tokens();
        double nats = 0;
        for (int i = 1; i < t.length; i++) nats -= Math.log((unigram[t[i]] + k) / (total + k * vocab));
        return nats / (t.length - 1);
    }

    /** The same targets under the bigram model. */
    public double bigramCrossEntropy(CorpusTokens s, double k) {
        int[] t = s.tokens();
        double nats = 0;
        for (int i = 1; i < t.length; i++) {
            long[] c = bigram.get(key(t[i - 1], t[i]));
            nats -= Math.log(((c == null ? 0 : c[0]) + k) / (predecessor[t[i - 1]] + k * vocab));
        }
        return nats / (t.length - 1);
    }
}
