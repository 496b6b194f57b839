package dev.veil.attack.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * How many tokens an attack recovered: exact top-1 (the papers' TTRSR / token reconstruction accuracy), top-k, and
 * BLEU-4 of the best guesses against the truth, sequence by sequence.
 *
 * @param positions the positions scored
 * @param chance    the top-1 rate of a uniform guess (1 / vocabulary)
 */
public record Recovery(int positions, int top1Hits, int topKHits, int k, double bleu4, double chance) {

    public double top1() {
        return positions == 0 ? 0 : (double) top1Hits / positions;
    }

    public double topK() {
        return positions == 0 ? 0 : (double) topKHits / positions;
    }

    /** Scores one sequence. */
    public static Recovery score(Guesses guesses, int[] truth, int k, int vocab) {
        return score(List.of(guesses), List.of(truth), k, vocab);
    }

    /** Scores several sequences (BLEU over the corpus of them). */
    public static Recovery score(List<Guesses> guesses, List<int[]> truths, int k, int vocab) {
        if (guesses.size() != truths.size())
            throw new IllegalArgumentException(
                    guesses.size() + " guessed sequences for " + truths.size() + " true ones");
        int positions = 0, top1 = 0, topK = 0;
        List<int[]> hyps = new ArrayList<>();
        for (int s = 0; s < guesses.size(); s++) {
            Guesses g = guesses.get(s);
            int[] t = truths.get(s);
            if (g.size() != t.length)
                throw new IllegalArgumentException(
                        "sequence " + s + ": " + g.size() + " guesses for " + t.length + " true tokens");
            for (int i = 0; i < t.length; i++) {
                int[] r = g.ranked()[i];
                if (r[0] == t[i]) top1++;
                for (int j = 0; j < Math.min(k, r.length); j++)
                    if (r[j] == t[i]) {
                        topK++;
                        break;
                    }
            }
            positions += t.length;
            hyps.add(g.best());
        }
        return new Recovery(positions, top1, topK, k, Bleu.corpus(hyps, truths), 1.0 / vocab);
    }
}
