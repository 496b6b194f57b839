package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Rows;
import dev.veil.attack.math.TopK;
import dev.veil.attack.metrics.Guesses;
import java.util.List;

/**
 * Inversion of the embedding's one-hot rows: the client sends the token as a (masked) one-hot row of width V; the
 * attacker guesses the largest coordinates. Exact on unmasked rows.
 */
public final class OneHotArgmaxAttack extends RankedAttack implements TalariaAttack {

    public OneHotArgmaxAttack(int k) {
        super("argmax of one-hot rows (embed)", TokenStream.PROCESSED, k);
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        return t.eachRequest(progress, r -> {
            Rows rows = t.in(r, "embed");
            int[][] g = new int[rows.rows()][];
            for (int i = 0; i < g.length; i++) g[i] = TopK.largest(rows.row(i), k);
            return new Guesses(g);
        });
    }
}
