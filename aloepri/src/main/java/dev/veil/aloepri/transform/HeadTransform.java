package dev.veil.aloepri.transform;

import dev.veil.aloepri.VocabPermutation;

/** φ_head: W̃_head = Q̂·W*_head·Πᵀ — obfuscated logit τ(i) scores token i. */
public final class HeadTransform {

    private HeadTransform() {}

    /** {@code head} is the HF lm_head [n, d] (final norm folded, noise added); the result is [n, d+2h]. */
    public static WeightMatrix apply(WeightMatrix head, WeightMatrix readerKey, VocabPermutation tau) {
        return tau.permuteRows(KeyedLinear.reader(head, readerKey));
    }
}
