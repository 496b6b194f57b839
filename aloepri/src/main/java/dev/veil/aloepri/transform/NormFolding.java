package dev.veil.aloepri.transform;

/**
 * Folds an RMSNorm weight γ into the linear that reads the norm's output (FlashNorm-style, exact):
 * (x/rms(x))·diag(γ)·Wᵀ = (x/rms(x))·(W·diag(γ))ᵀ. Done before any key is applied, so the obfuscated
 * norm needs no per-coordinate weight, only the scalar κ.
 */
public final class NormFolding {

    private NormFolding() {}

    /** W·diag(γ) for a Hugging Face weight W ([out, d]). */
    public static WeightMatrix fold(float[] normWeight, WeightMatrix w) {
        return w.scaleColumns(normWeight);
    }

    /**
     * The same fold applied to a reader key instead of the weight: W·diag(γ)·Q̂ᵀ = W·(Q̂·diag(γ))ᵀ, so scaling
     * Q̂'s d columns (a d+2h × d matrix) replaces scaling a weight that may be much larger (gate/up: [ffn, d]).
     */
    public static WeightMatrix intoReader(float[] normWeight, WeightMatrix readerKey) {
        return readerKey.scaleColumns(normWeight);
    }
}
