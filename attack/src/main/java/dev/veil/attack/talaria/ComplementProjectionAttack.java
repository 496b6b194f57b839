package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.SetupSeen;
import dev.veil.attack.math.Subspace;
import dev.veil.attack.metrics.Guesses;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.SetupPlan;
import java.util.List;

/**
 * A6, complement projection by an attacker who knows M_pub (a cloud colluding with the setup authority: the capture's
 * session seeds): ReMO's mask M_pvt·M_pub lies in the row space of M_pub, so projecting a first-layer row onto the
 * complement removes it exactly; the attacker matches there. With no ReMO basis (pool or no masks) there is nothing
 * to project and this is plain nearest-neighbour matching.
 */
public final class ComplementProjectionAttack extends RankedAttack implements TalariaAttack {

    public ComplementProjectionAttack(int k) {
        super("complement projection, M_pub known", TokenStream.PROCESSED, k);
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int d = t.config().hiddenSize();
        ModelName first = new ModelName(Product.QKV, 0);
        return t.eachRequest(progress, r -> {
            Subspace space = Subspace.empty(d);
            SetupSeen s = sessionOf(t.capture().setups(), r.index());
            if (s != null && s.plan().hidden().kind() == MaskSpec.Kind.REMO) {
                int m = s.plan().hidden().rankFor(d);
                space = Subspace.spanOf(
                        MaskPrg.derive(s.seed(), SetupPlan.basisLabel(first)).gaussians(m * d, 1.0), d);
            }
            return new Guesses(ComplementMatch.topK(
                    t.in(r, TalariaTarget.FIRST_LAYER).data(), t.firstLayerCandidates(), space, k));
        });
    }

    /** The session in force during request {@code index}: the last setup made during it or before. */
    static SetupSeen sessionOf(List<SetupSeen> setups, int index) {
        SetupSeen found = null;
        for (SetupSeen s : setups) if (s.request() <= index) found = s;
        return found;
    }
}
