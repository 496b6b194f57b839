package dev.veil.cli;

import java.util.HashMap;
import java.util.Map;

/**
 * How guessable a {@code --seed TEXT} is. The seed is the whole key (SHA-256 of the text), so whoever guesses it
 * recovers the permutation and the matrices. The estimate is the text's length times the empirical entropy of its
 * own characters (Shannon, bits per code point): an upper bound for text a person chose (it knows no dictionary, so
 * "correct horse battery staple" scores ~98 bits though four common words hold ~44), and about right for random
 * strings: 64 random hex digits score ~250. Below {@link #MIN_BITS} the CLI warns.
 */
final class SeedEntropy {
    /** The security of the 256-bit key the seed stands for should not drop below AES-128's. */
    static final int MIN_BITS = 128;

    private SeedEntropy() {}

    static double bits(String seed) {
        int[] cps = seed.codePoints().toArray();
        Map<Integer, Integer> counts = new HashMap<>();
        for (int c : cps) counts.merge(c, 1, Integer::sum);
        double perChar = 0;
        for (int n : counts.values()) {
            double p = (double) n / cps.length;
            perChar -= p * Math.log(p) / Math.log(2);
        }
        return perChar * cps.length;
    }

    /** The warning for {@code seed}, or null when its estimate reaches {@link #MIN_BITS}. */
    static String warning(String seed) {
        double bits = bits(seed);
        if (bits >= MIN_BITS) return null;
        return String.format(
                "warning: --seed has about %.0f bits of entropy by Veil's estimate (below %d): anyone who guesses it"
                        + " can recompute the whole key; use it for reproducible experiments only, or pass 32+ random bytes"
                        + " (e.g. 64 hex digits from `openssl rand -hex 32`), or leave --seed out for a fresh random key",
                bits, MIN_BITS);
    }
}
