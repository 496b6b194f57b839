package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Rows;
import dev.veil.attack.math.TopK;
import dev.veil.attack.metrics.Guesses;
import dev.veil.attack.simulate.ForwardMatcher;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A2, vocabulary matching by forward simulation (Thomas et al., "Hidden No More", ICML 2025), adapted to the rows a
 * Talaria cloud sees. Position by position the attacker extends its recovered prefix with candidate tokens, ranked by
 * the public model's own prior (its next-token distribution after the prefix; a public unigram ranking at the first
 * position), runs each through the public model as far as the observed product, and keeps the candidate whose row is
 * nearest the observed one — stopping at the first that matches within {@code tolerance} (relative distance), or
 * after {@code maxCandidates} (see {@link ForwardMatcher#search}). It works on rows deeper than layer 0, which depend
 * on the whole prefix.
 */
public final class VocabularyMatchingAttack extends RankedAttack implements TalariaAttack {

    private final ModelName target;
    private final int maxCandidates;
    private final double tolerance;
    private final int[] firstPositionOrder;

    /**
     * @param target             the product whose input rows are matched, e.g. {@code layer.1.qkv}
     * @param firstPositionOrder the attacker's ranking of first tokens (e.g. by public unigram frequency), or null for id order
     */
    public VocabularyMatchingAttack(
            ModelName target, int maxCandidates, double tolerance, int[] firstPositionOrder, int k) {
        if (target.product().op == null)
            throw new IllegalArgumentException("vocabulary matching needs a hidden-state product, not " + target);
        super("vocabulary matching, forward simulation (" + target + " rows)", TokenStream.PROCESSED, k);
        this.target = target;
        this.maxCandidates = maxCandidates;
        this.tolerance = tolerance;
        this.firstPositionOrder = firstPositionOrder;
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int v = t.vocab();
        int[] firstOrder = firstPositionOrder != null
                ? firstPositionOrder
                : IntStream.range(0, v).toArray();
        return t.eachRequest(progress, r -> {
            Rows observed = t.in(r, target.toString());
            ForwardMatcher matcher = new ForwardMatcher(t.plain(), target);
            int[] order = firstOrder;
            int[][] ranked = new int[observed.rows()][];
            for (int pos = 0; pos < observed.rows(); pos++) {
                float[] distance = matcher.search(order, observed.row(pos), maxCandidates, tolerance);
                int[] best = TopK.smallest(distance, k);
                ranked[pos] = new int[best.length];
                for (int i = 0; i < best.length; i++) ranked[pos][i] = order[best[i]];
                order = TopK.order(toDouble(matcher.append(ranked[pos][0])));
            }
            return new Guesses(ranked);
        });
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** The QKV input of layer 1 when the model has one, else of layer 0. */
    public static ModelName defaultTarget(int layers) {
        return new ModelName(Product.QKV, Math.min(1, layers - 1));
    }
}
