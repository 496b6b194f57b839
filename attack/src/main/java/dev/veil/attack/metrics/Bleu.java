package dev.veil.attack.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus BLEU-4 over token ids (Papineni et al.): the geometric mean of clipped 1- to 4-gram precisions summed over all
 * sentence pairs, times the brevity penalty. No smoothing: a corpus without a single matching 4-gram scores 0.
 */
public final class Bleu {

    private Bleu() {}

    public static double corpus(List<int[]> hypotheses, List<int[]> references) {
        if (hypotheses.size() != references.size())
            throw new IllegalArgumentException(
                    hypotheses.size() + " hypotheses for " + references.size() + " references");
        long[] matches = new long[4], totals = new long[4];
        long hypLength = 0, refLength = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            int[] h = hypotheses.get(s), r = references.get(s);
            hypLength += h.length;
            refLength += r.length;
            for (int n = 1; n <= 4; n++) {
                Map<List<Integer>, Integer> refCounts = ngrams(r, n);
                for (Map.Entry<List<Integer>, Integer> e : ngrams(h, n).entrySet())
                    matches[n - 1] += Math.min(e.getValue(), refCounts.getOrDefault(e.getKey(), 0));
                totals[n - 1] += Math.max(0, h.length - n + 1);
            }
        }
        double logPrecision = 0;
        for (int n = 0; n < 4; n++) {
            if (matches[n] == 0 || totals[n] == 0) return 0;
            logPrecision += Math.log((double) matches[n] / totals[n]) / 4;
        }
        double brevity = hypLength >= refLength ? 1 : Math.exp(1 - (double) refLength / Math.max(hypLength, 1));
        return brevity * Math.exp(logPrecision);
    }

    private static Map<List<Integer>, Integer> ngrams(int[] s, int n) {
        Map<List<Integer>, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= s.length; i++) {
            Integer[] g = new Integer[n];
            for (int k = 0; k < n; k++) g[k] = s[i + k];
            counts.merge(List.of(g), 1, Integer::sum);
        }
        return counts;
    }
}
