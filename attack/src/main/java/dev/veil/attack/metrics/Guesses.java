package dev.veil.attack.metrics;

import java.util.Arrays;
import java.util.List;

/**
 * What an attack outputs for a sequence of positions: for each, candidate token ids, best first (at least one; an
 * attack with no idea guesses anyway, as a real attacker would).
 */
public record Guesses(int[][] ranked) {

    public Guesses {
        ranked = ranked.clone();
        for (int i = 0; i < ranked.length; i++)
            if (ranked[i] == null || ranked[i].length == 0)
                throw new IllegalArgumentException("position " + i + " has no guess");
    }

    public int size() {
        return ranked.length;
    }

    public int top1(int i) {
        return ranked[i][0];
    }

    /** The best guesses as a token sequence. */
    public int[] best() {
        return Arrays.stream(ranked).mapToInt(r -> r[0]).toArray();
    }

    /** One guess per position. */
    public static Guesses of(int[] best) {
        int[][] r = new int[best.length][];
        for (int i = 0; i < best.length; i++) r[i] = new int[] {best[i]};
        return new Guesses(r);
    }

    /** The guesses of several sequences one after another. */
    public static Guesses concat(List<Guesses> parts) {
        return new Guesses(parts.stream().flatMap(g -> Arrays.stream(g.ranked)).toArray(int[][]::new));
    }
}
