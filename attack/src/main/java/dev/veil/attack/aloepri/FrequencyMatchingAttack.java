package dev.veil.attack.aloepri;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Request;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * TFMA, token-frequency matching: τ is one substitution for the key's lifetime, so the obfuscated ids keep their
 * tokens' frequencies. The attacker counts the ids it has seen, ranks them, and maps the id of rank r to the plain
 * token of rank r in a prior corpus (its guess of the users' language); neighbouring ranks are the next guesses.
 */
public final class FrequencyMatchingAttack extends RankedAttack implements AloePriAttack {

    private final long[] priorCounts;

    /** @param priorCounts how often each plain id occurs in the attacker's prior corpus */
    public FrequencyMatchingAttack(long[] priorCounts, int k) {
        super("TFMA: token-frequency matching", TokenStream.ALL, k);
        this.priorCounts = priorCounts.clone();
    }

    @Override
    public Outcome attack(AloePriTarget t, Progress progress) {
        int v = t.vocab();
        if (priorCounts.length != v)
            throw new IllegalArgumentException("prior counts for " + priorCounts.length + " ids, vocabulary " + v);
        long[] seen = new long[v];
        for (Request r : t.requests()) {
            for (int id : r.idsIn()) seen[id]++;
            for (int id : r.idsOut()) seen[id]++;
        }
        int[] obfByRank = byCount(seen), plainByRank = byCount(priorCounts);
        int[][] ranked = new int[v][];
        for (int rank = 0; rank < v; rank++) {
            int[] guesses = new int[Math.min(k, v)];
            for (int j = 0; j < guesses.length; j++) {
                int offset = (j + 1) / 2 * (j % 2 == 1 ? 1 : -1); // r, r+1, r-1, r+2, ...
                int rr = Math.clamp(rank + offset, 0, v - 1);
                guesses[j] = plainByRank[rr];
            }
            ranked[obfByRank[rank]] = guesses;
        }
        progress.step();
        VocabMapping mapping = new VocabMapping(ranked);
        return new Outcome(mapping.guesses(t.requests()), mapping);
    }

    /** Ids by descending count (ties by id). */
    static int[] byCount(long[] counts) {
        return IntStream.range(0, counts.length)
                .boxed()
                .sorted(Comparator.<Integer>comparingLong(i -> -counts[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /** The ids of {@code vocab} by descending count in {@code tokens}: a unigram ranking. */
    public static int[] byCountOrder(int[] tokens, int vocab) {
        return byCount(counts(tokens, vocab));
    }

    /** Counts of each id of {@code vocab} in {@code tokens}. */
    public static long[] counts(int[] tokens, int vocab) {
        long[] c = new long[vocab];
        for (int t : tokens) c[t]++;
        return c;
    }
}
