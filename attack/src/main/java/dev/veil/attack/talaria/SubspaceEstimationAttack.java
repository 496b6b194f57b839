package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.Subspace;
import dev.veil.attack.metrics.Guesses;
import java.util.List;

/**
 * The subspace-estimation attack of docs/talaria.md (D2), by a cloud that does not know M_pub: masks much larger than
 * the rows put the rows' energy in the mask space, so the top-m principal directions of all first-layer rows under one
 * M_pub estimate it; the attacker projects them away and matches in the complement. Rows are pooled per request when
 * the deployment refreshes per request (the cloud can link a request's calls by connection and timing), else over the
 * whole capture. m is ReMO's rank when the setting is ReMO, else a guess of half the width.
 */
public final class SubspaceEstimationAttack extends RankedAttack implements TalariaAttack {

    public SubspaceEstimationAttack(int k) {
        super("subspace estimation + complement projection", TokenStream.PROCESSED, k);
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int d = t.config().hiddenSize();
        int m = t.remoRank(d) > 0 ? t.remoRank(d) : d / 2;
        return t.eachRequestByMaskGroup(progress, group -> {
            Subspace space = Subspace.principal(t.firstLayerRows(group), d, m, 1);
            return r -> new Guesses(ComplementMatch.topK(
                    t.in(r, TalariaTarget.FIRST_LAYER).data(), t.firstLayerCandidates(), space, k));
        });
    }
}
