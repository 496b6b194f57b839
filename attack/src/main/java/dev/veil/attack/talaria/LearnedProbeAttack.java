package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.LeastSquares;
import dev.veil.attack.math.Nearest;
import dev.veil.attack.math.RowMajor;
import dev.veil.attack.metrics.Guesses;
import java.util.List;
import java.util.Random;

/**
 * A4, a learned probe on masked rows. The attacker knows the mask distribution (the public setting), not the masks:
 * it makes its own training set — first-layer rows of the tokens of public text, masked with masks it draws from that
 * distribution — fits a linear probe (ridge regression from masked row to clean row) and decodes its predictions on
 * the captured rows by nearest embedding.
 */
public final class LearnedProbeAttack extends RankedAttack implements TalariaAttack {

    private final int[] publicTokens;
    private final long seed;

    /** @param publicTokens the attacker's public text, tokenized (its training rows) */
    public LearnedProbeAttack(int[] publicTokens, int k, long seed) {
        if (publicTokens.length == 0)
            throw new IllegalArgumentException("the learned probe needs public text to train on");
        super("learned linear probe (ridge) on layer-0 rows", TokenStream.PROCESSED, k);
        this.publicTokens = publicTokens.clone();
        this.seed = seed;
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int d = t.config().hiddenSize(), n = publicTokens.length;
        float[] clean = RowMajor.gatherRows(t.firstLayerCandidates(), d, publicTokens);
        float[] masked = clean.clone();
        new MaskModel(t.hiddenMask(), t.maskScale()).apply(masked, n, d, new Random(seed));
        LeastSquares probe = LeastSquares.fit(masked, clean, n, d, d, 1e-3, true);
        Nearest nearest = new Nearest(t.firstLayerCandidates(), d, Nearest.Metric.COSINE);
        return t.eachRequest(progress, r -> {
            float[] z = t.in(r, TalariaTarget.FIRST_LAYER).data();
            return new Guesses(nearest.topK(probe.predict(z, z.length / d), k));
        });
    }
}
