package dev.veil.aloepri.transform;

import dev.veil.aloepri.VocabPermutation;

/** φ_embed: W̃_embed = Π·W*·P̂ — row τ(i) embeds token i, keyed into the obfuscated residual space. */
public final class EmbeddingTransform {

    private EmbeddingTransform() {}

    /** {@code embed} is [n, d] (noise already added), {@code writerKey} P̂ is d × d+2h; the result is [n, d+2h]. */
    public static WeightMatrix apply(WeightMatrix embed, WeightMatrix writerKey, VocabPermutation tau) {
        return tau.permuteRows(embed.timesTransposed(writerKey.transpose()));
    }
}
