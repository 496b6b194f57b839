package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Rows;
import dev.veil.attack.math.TopK;
import dev.veil.attack.metrics.Guesses;
import dev.veil.engine.LinearOp;
import java.util.Arrays;
import java.util.List;

/**
 * A5, argmax of the LM-head traffic: the cloud computes the logits of every row it is sent for the LM head (its own
 * reply) and guesses that the client samples their largest — the next generated token under greedy decoding.
 */
public final class LmHeadArgmaxAttack extends RankedAttack implements TalariaAttack {

    public LmHeadArgmaxAttack(int k) {
        super("argmax of LM-head replies", TokenStream.GENERATED, k);
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int v = t.vocab();
        return t.eachRequest(progress, r -> {
            Rows rows = t.in(r, "lm_head");
            float[] logits = new float[rows.rows() * v];
            t.plain().apply(LinearOp.LM_HEAD, 0, rows.data(), rows.rows(), logits);
            int[][] g = new int[rows.rows()][];
            for (int i = 0; i < g.length; i++) g[i] = TopK.largest(Arrays.copyOfRange(logits, i * v, (i + 1) * v), k);
            return new Guesses(g);
        });
    }
}
