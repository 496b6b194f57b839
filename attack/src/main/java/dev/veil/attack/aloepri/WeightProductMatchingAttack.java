package dev.veil.attack.aloepri;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.RowMajor;
import dev.veil.attack.math.RowSort;
import dev.veil.model.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * VMA, the vocabulary-matching attack on AloePri's weights (paper Table 8, after Thomas et al.): products of
 * obfuscated weights in which the key matrices cancel (P̂Q̂ = I) equal the same products of the plain weights up to a
 * row permutation (τ) and column permutations (and positive column scalings) — embed·head, embed·Wq·(embed·Wk)ᵀ,
 * embed·gate, embed·up and down·head per layer. Standardising columns and sorting rows cancels the column side; the
 * rows are then matched by nearest neighbour, and the products vote: each contributes its distances scaled by their
 * mean, and the summed distance ranks the plain candidates of every obfuscated id. The embedding and head noise
 * (α_e, α_h) is the defence.
 */
public final class WeightProductMatchingAttack extends RankedAttack implements AloePriAttack {

    /** Order statistics kept per sorted row. */
    static final int QUANTILES = 64;

    /** The product families of Table 8, by the name they carry here. */
    public static final List<String> FAMILIES = List.of(
            "embed·head", "embed·Wq·(embed·Wk)ᵀ", "embed·gate", "embed·up", "down·head", "embed·router", "|embed·Wq|");

    /** Table 8's families; the last two exist only for mixture-of-experts and q_norm/k_norm models. */
    public static final String ROUTER = "embed·router", QUERY_COLUMNS = "|embed·Wq|";

    private final String family;

    /** All products. */
    public WeightProductMatchingAttack(int k) {
        this(k, null);
    }

    /** Only the products of one {@linkplain #FAMILIES family} (across layers): which of them carry the attack. */
    public WeightProductMatchingAttack(int k, String family) {
        if (family != null && !FAMILIES.contains(family))
            throw new IllegalArgumentException("unknown product family '" + family + "' " + FAMILIES);
        super(
                family == null ? "VMA: weight products, sorted rows, votes across layers" : "VMA, " + family + " only",
                TokenStream.ALL,
                k);
        this.family = family;
    }

    /** The families that have products in a model of {@code c} (router and |embed·Wq| only where they exist). */
    public static List<String> families(ModelConfig c) {
        return FAMILIES.stream()
                .filter(f -> !f.equals(ROUTER) || c.moe() != null)
                .filter(f -> !f.equals(QUERY_COLUMNS) || c.qkNorm())
                .toList();
    }

    /** A named product: rows = tokens, columns (a side's own count of them) possibly permuted and scaled. */
    record Product(String name, ToIntFunction<AloePriTarget.Side> cols, Function<AloePriTarget.Side, float[]> of) {
        String family() {
            return FAMILIES.stream().filter(name::endsWith).findFirst().orElseThrow();
        }
    }

    static List<Product> products(AloePriTarget t) {
        var c = t.plain().config();
        ToIntFunction<AloePriTarget.Side> vocab = AloePriTarget.Side::vocab;
        List<Product> p = new ArrayList<>();
        p.add(new Product("embed·head", vocab, s -> {
            return RowMajor.timesTransposed(s.embed(), s.vocab(), s.hidden(), s.head(), s.vocab());
        }));
        for (int l = 0; l < c.numLayers(); l++) {
            int layer = l;
            ToIntFunction<AloePriTarget.Side> ffn = s -> s.ffnWidth(layer);
            p.add(new Product("layer " + l + " embed·Wq·(embed·Wk)ᵀ", vocab, s -> s.attentionProduct(layer)));
            // q_norm models: the head key is a signed permutation of single columns (QkNormKey), which |·| and the
            // sorted rows undo without the key product
            if (c.qkNorm())
                p.add(new Product(
                        "layer " + l + " " + QUERY_COLUMNS, s -> s.config().qDim(), s -> s.queriesAbs(layer)));
            // the router's columns are permuted with the experts and scaled by the normalisation: standardised away
            if (c.isMoeLayer(l))
                p.add(new Product(
                        "layer " + l + " " + ROUTER, s -> s.config().moe().numExperts(), s -> s.router(layer)));
            p.add(new Product("layer " + l + " embed·gate", ffn, s -> s.gate(layer)));
            p.add(new Product("layer " + l + " embed·up", ffn, s -> s.up(layer)));
            p.add(new Product("layer " + l + " down·head", ffn, s -> s.downHead(layer)));
        }
        return p;
    }

    @Override
    public Outcome attack(AloePriTarget t, Progress progress) {
        int v = t.vocab();
        float[] votes = new float[v * v];
        for (Product p : products(t)) {
            if (family != null && !p.family().equals(family)) continue;
            addVotes(p, t, votes);
            progress.step();
        }
        VocabMapping mapping = VocabMapping.nearest(votes, v, k);
        return new Outcome(mapping.guesses(t.requests()), mapping);
    }

    /**
     * Every family's summed votes {@code [V_obf × V_plain]} (smaller is likelier), each product computed once: the
     * whole attack is their sum, each single-family variant one of them.
     */
    public static Map<String, float[]> familyVotes(AloePriTarget t, Progress progress) {
        int v = t.vocab();
        Map<String, float[]> votes = new LinkedHashMap<>();
        for (Product p : products(t)) {
            addVotes(p, t, votes.computeIfAbsent(p.family(), f -> new float[v * v]));
            progress.step();
        }
        return votes;
    }

    /** Adds product {@code p}'s sorted-row distances, scaled to mean 1, to {@code votes}. */
    static void addVotes(Product p, AloePriTarget t, float[] votes) {
        int v = t.vocab();
        float[] plain = RowSort.features(p.of().apply(t.plain()), v, p.cols().applyAsInt(t.plain()), QUANTILES);
        float[] obf = RowSort.features(p.of().apply(t.obfuscated()), v, p.cols().applyAsInt(t.obfuscated()), QUANTILES);
        float[] d = RowSort.squaredDistances(obf, v, plain, v, QUANTILES);
        double mean = 0;
        for (float x : d) mean += x;
        float scale = (float) (d.length / Math.max(mean, Double.MIN_NORMAL));
        for (int i = 0; i < d.length; i++) votes[i] += d[i] * scale;
    }
}
