package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.Nearest;
import dev.veil.attack.metrics.Guesses;
import java.util.List;

/**
 * A1, nearest-neighbour inversion of first-layer inputs: each row the cloud receives for layer 0's QKV is the token's
 * embedding, RMS-normalised; the attacker ranks every vocabulary entry by cosine similarity to it.
 */
public final class NearestEmbeddingAttack extends RankedAttack implements TalariaAttack {

    public NearestEmbeddingAttack(int k) {
        super("nearest embedding (layer-0 rows)", TokenStream.PROCESSED, k);
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        Nearest nearest = new Nearest(t.firstLayerCandidates(), t.config().hiddenSize(), Nearest.Metric.COSINE);
        return t.eachRequest(
                progress,
                r -> new Guesses(nearest.topK(t.in(r, TalariaTarget.FIRST_LAYER).data(), k)));
    }
}
