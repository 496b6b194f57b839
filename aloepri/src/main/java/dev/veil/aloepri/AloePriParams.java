package dev.veil.aloepri;

/**
 * The obfuscation's public parameters (paper defaults in brackets).
 *
 * @param lambda    distance of B = U + λV from orthogonal [0.3]; larger spreads P̂'s singular values
 *                  (bf16 overflows around 3)
 * @param expansion h, the hidden expansion: the obfuscated hidden size is d + 2h [128, capped for small d]
 * @param alphaE    embedding noise, in units of the embedding's standard deviation [1.0]
 * @param alphaH    LM-head noise, in units of the (norm-folded) head's standard deviation [0.2]
 * @param beta      largest RoPE block-permutation window [8]; 1 turns block permutation off
 * @param gamma     inverse temperature of the window-size choice [1e3]: window size w starting at block t
 *                  has weight exp(−γ·(θ_t − θ_{t+w−1})), θ the RoPE inverse frequencies, so blocks whose
 *                  frequencies differ by much more than 1/γ are almost never mixed
 */
public record AloePriParams(double lambda, int expansion, double alphaE, double alphaH, int beta, double gamma) {

    public static final double DEFAULT_LAMBDA = 0.3;
    public static final int DEFAULT_EXPANSION = 128;
    public static final double DEFAULT_ALPHA_E = 1.0;
    public static final double DEFAULT_ALPHA_H = 0.2;
    public static final int DEFAULT_BETA = 8;
    public static final double DEFAULT_GAMMA = 1e3;

    public AloePriParams {
        if (!(lambda > 0) || !Double.isFinite(lambda)) throw new IllegalArgumentException("lambda must be > 0 (got " + lambda + ")");
        if (expansion < 0 || expansion % 2 != 0)
            throw new IllegalArgumentException("h (the hidden expansion) must be even and >= 0 (got " + expansion + ")");
        if (!(alphaE >= 0) || !Double.isFinite(alphaE)) throw new IllegalArgumentException("alpha-e must be >= 0 (got " + alphaE + ")");
        if (!(alphaH >= 0) || !Double.isFinite(alphaH)) throw new IllegalArgumentException("alpha-h must be >= 0 (got " + alphaH + ")");
        if (beta < 1) throw new IllegalArgumentException("beta (block-permutation window) must be >= 1 (got " + beta + ")");
        if (!(gamma >= 0) || Double.isNaN(gamma)) throw new IllegalArgumentException("gamma must be >= 0 (got " + gamma + ")");
    }

    /** The paper's defaults for a model of hidden size {@code d}, with h capped by {@link #defaultExpansion}. */
    public static AloePriParams defaults(int d) {
        return new AloePriParams(DEFAULT_LAMBDA, defaultExpansion(d), DEFAULT_ALPHA_E, DEFAULT_ALPHA_H, DEFAULT_BETA, DEFAULT_GAMMA);
    }

    /**
     * h = 128 (the paper's value for d = 3584..7168) but at most d/8, so the 2h extra hidden columns cost
     * small models at most 25% (d = 576 gives h = 72, d = 2048 and up give 128).
     */
    public static int defaultExpansion(int d) {
        return Math.min(DEFAULT_EXPANSION, 2 * (d / 16));
    }

    /** Exact transforms only: no noise, no RoPE block permutation (the obfuscated logits then equal the plain ones permuted, up to the κ error). */
    public AloePriParams exact() {
        return new AloePriParams(lambda, expansion, 0, 0, 1, gamma);
    }

    public AloePriParams withNoise(double alphaE, double alphaH) {
        return new AloePriParams(lambda, expansion, alphaE, alphaH, beta, gamma);
    }

    public AloePriParams withExpansion(int h) {
        return new AloePriParams(lambda, h, alphaE, alphaH, beta, gamma);
    }

    public AloePriParams withLambda(double l) {
        return new AloePriParams(l, expansion, alphaE, alphaH, beta, gamma);
    }
}
