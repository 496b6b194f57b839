package dev.veil.aloepri.transform;

/**
 * Folds an RMSNorm weight γ into the linear that reads the norm's output (FlashNorm-style, exact):
 * (x/rms(x))·diag(γ)·Wᵀ = (x/rms(x))·(W·diag(γ))ᵀ. Done before any key is applied, so the obfuscated
 * norm needs no per-coordinate weight, only the scalar κ.
 */
public final class NormFolding {

    private NormFolding() {}

    public static Matrix fold(float[] normWeight, Matrix w) {
        return w.scaleColumns(normWeight);
    }
}
