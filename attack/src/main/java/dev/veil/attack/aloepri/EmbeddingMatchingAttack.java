package dev.veil.attack.aloepri;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.Nearest;

/**
 * NN: nearest-neighbour matching of the server's embedding rows against the public model's, by cosine similarity.
 * The attacker has no pairs to align the spaces with, so it compares coordinates as they are (the first d of the
 * obfuscated d + 2h). Exact against a plain deployment; AloePri's key matrices mix every coordinate.
 */
public final class EmbeddingMatchingAttack extends RankedAttack implements AloePriAttack {

    public EmbeddingMatchingAttack(int k) {
        super("NN: nearest embedding row", TokenStream.ALL, k);
    }

    @Override
    public Outcome attack(AloePriTarget t, Progress progress) {
        int d = t.plain().hidden(), dObf = t.obfuscated().hidden(), v = t.vocab();
        float[] obf = t.obfuscated().embed();
        float[] truncated = new float[v * d];
        for (int r = 0; r < v; r++) System.arraycopy(obf, r * dObf, truncated, r * d, Math.min(d, dObf));
        Nearest nearest = new Nearest(t.plain().embed(), d, Nearest.Metric.COSINE);
        VocabMapping mapping = new VocabMapping(nearest.topK(truncated, k));
        progress.step();
        return new Outcome(mapping.guesses(t.requests()), mapping);
    }
}
