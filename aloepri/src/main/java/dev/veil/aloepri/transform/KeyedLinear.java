package dev.veil.aloepri.transform;

/**
 * Puts a key matrix on one side of a Hugging Face linear weight W ([out, in], y = x·Wᵀ).
 * In the paper's row-vector form the weight is Wᵀ; a reader becomes Q̂·Wᵀ and a writer Wᵀ·P̂.
 */
public final class KeyedLinear {

    private KeyedLinear() {}

    /** A reader of the obfuscated residual stream: W·Q̂ᵀ ([out, d+2h]) for Q̂ (d+2h × d). */
    public static WeightMatrix reader(WeightMatrix w, WeightMatrix readerKey) {
        return w.timesTransposed(readerKey);
    }

    /** A writer into the obfuscated residual stream: P̂ᵀ·W ([d+2h, in]) for P̂ (d × d+2h). */
    public static WeightMatrix writer(WeightMatrix w, WeightMatrix writerKey) {
        return writerKey.transpose().timesTransposed(w.transpose());
    }
}
