package dev.veil.aloepri;

import dev.veil.model.Records;

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
 * @param alphaDown beyond the paper [0]: noise on every layer's W_down, in units of that layer's W_down standard
 *                  deviation (the weak product head·W_down is public otherwise, see README)
 * @param alphaGateUp beyond the paper [0]: noise on every layer's W_gate and W_up, in units of each one's standard
 *                  deviation
 * @param split     beyond the paper [1 = off]: every FFN unit becomes {@code split} units that share its gate row, with
 *                  random positive up scalings and random down columns that sum back to the original exactly; the
 *                  obfuscated intermediate size is {@code split × d_ff}
 * @param routerNorm paper §5.2.4 [on]: every expert's router row is rescaled to the layer's mean row norm before the
 *                  experts are permuted (mixture-of-experts layers only); not exact, it changes the routing logits
 * @param depthScaled beyond the paper [off]: {@code alphaDown} and {@code alphaGateUp} are amounts for the whole model,
 *                  each of the L layers gets α/√L; per-layer noise adds up over the layers, so this keeps its summed
 *                  variance α²·σ² whatever the depth (docs: aloepri/README.md, "Depth")
 * @param ffnNoise  beyond the paper [gaussian]: how the W_down noise is shaped ({@link FfnNoiseProfile}); the same
 *                  expected Frobenius norm either way
 * @param alphaRouter beyond the paper [0]: noise on every mixture-of-experts router, in units of that router's standard
 *                  deviation (the router is a reader only the embedding noise covers otherwise, see README)
 */
public record AloePriParams(
        double lambda,
        int expansion,
        double alphaE,
        double alphaH,
        int beta,
        double gamma,
        double alphaDown,
        double alphaGateUp,
        int split,
        boolean routerNorm,
        boolean depthScaled,
        FfnNoiseProfile ffnNoise,
        double alphaRouter) {

    public static final double DEFAULT_LAMBDA = 0.3;
    public static final int DEFAULT_EXPANSION = 128;
    public static final double DEFAULT_ALPHA_E = 1.0;
    public static final double DEFAULT_ALPHA_H = 0.2;
    public static final int DEFAULT_BETA = 8;
    public static final double DEFAULT_GAMMA = 1e3;

    /** Veil's defaults where they differ from the paper's (chosen on the frontier, aloepri/README.md). */
    public static final double VEIL_ALPHA_E = DEFAULT_ALPHA_E,
            VEIL_ALPHA_H = DEFAULT_ALPHA_H,
            VEIL_ALPHA_DOWN = 1,
            VEIL_ALPHA_GATE_UP = 0;

    public static final int VEIL_SPLIT = 1;
    public static final boolean VEIL_DEPTH_SCALED = false;

    public AloePriParams {
        if (!(lambda > 0) || !Double.isFinite(lambda))
            throw new IllegalArgumentException("lambda must be > 0 (got " + lambda + ")");
        if (expansion < 0 || expansion % 2 != 0)
            throw new IllegalArgumentException(
                    "h (the hidden expansion) must be even and >= 0 (got " + expansion + ")");
        if (!(alphaE >= 0) || !Double.isFinite(alphaE))
            throw new IllegalArgumentException("alpha-e must be >= 0 (got " + alphaE + ")");
        if (!(alphaH >= 0) || !Double.isFinite(alphaH))
            throw new IllegalArgumentException("alpha-h must be >= 0 (got " + alphaH + ")");
        if (beta < 1)
            throw new IllegalArgumentException("beta (block-permutation window) must be >= 1 (got " + beta + ")");
        if (!(gamma >= 0) || Double.isNaN(gamma))
            throw new IllegalArgumentException("gamma must be >= 0 (got " + gamma + ")");
        if (!(alphaDown >= 0) || !Double.isFinite(alphaDown))
            throw new IllegalArgumentException("alpha-down must be >= 0 (got " + alphaDown + ")");
        if (!(alphaGateUp >= 0) || !Double.isFinite(alphaGateUp))
            throw new IllegalArgumentException("alpha-gate-up must be >= 0 (got " + alphaGateUp + ")");
        if (split < 1 || split > 16)
            throw new IllegalArgumentException("split (FFN units per plain unit) must be 1..16 (got " + split + ")");
        if (ffnNoise == null) ffnNoise = FfnNoiseProfile.GAUSSIAN; // absent in results written before the profiles
        if (!(alphaRouter >= 0) || !Double.isFinite(alphaRouter))
            throw new IllegalArgumentException("alpha-router must be >= 0 (got " + alphaRouter + ")");
    }

    /** The paper's parameters alone (its router normalisation on): no FFN or router noise, no unit split. */
    public AloePriParams(double lambda, int expansion, double alphaE, double alphaH, int beta, double gamma) {
        this(lambda, expansion, alphaE, alphaH, beta, gamma, 0, 0, 1, true, false, FfnNoiseProfile.GAUSSIAN, 0);
    }

    /** Veil's defaults for a model of hidden size {@code d} ({@code veil obfuscate} without options): see aloepri/README.md. */
    public static AloePriParams defaults(int d) {
        return paper(d).withNoise(VEIL_ALPHA_E, VEIL_ALPHA_H).withFfn(VEIL_ALPHA_DOWN, VEIL_ALPHA_GATE_UP, VEIL_SPLIT);
    }

    /** The paper's defaults for a model of hidden size {@code d}, with h capped by {@link #defaultExpansion}; no defense beyond the paper. */
    public static AloePriParams paper(int d) {
        return new AloePriParams(
                DEFAULT_LAMBDA, defaultExpansion(d), DEFAULT_ALPHA_E, DEFAULT_ALPHA_H, DEFAULT_BETA, DEFAULT_GAMMA);
    }

    /**
     * h = 128 (the paper's value for d = 3584..7168) but at most d/8, so the 2h extra hidden columns cost
     * small models at most 25% (d = 576 gives h = 72, d = 2048 and up give 128).
     */
    public static int defaultExpansion(int d) {
        return Math.min(DEFAULT_EXPANSION, 2 * (d / 16));
    }

    /** Exact transforms only (the unit split is exact and stays): no noise, no RoPE block permutation, no router normalisation (the obfuscated logits then equal the plain ones permuted, up to the κ error). */
    public AloePriParams exact() {
        return new AloePriParams(lambda, expansion, 0, 0, 1, gamma, 0, 0, split, false, depthScaled, ffnNoise, 0);
    }

    /** The W_down noise one layer of an {@code layers}-layer model gets: α_down, or α_down/√L when depth-scaled. */
    public double alphaDownPerLayer(int layers) {
        return alphaDown * depthFactor(layers);
    }

    /** As {@link #alphaDownPerLayer} for W_gate and W_up. */
    public double alphaGateUpPerLayer(int layers) {
        return alphaGateUp * depthFactor(layers);
    }

    private double depthFactor(int layers) {
        if (layers < 1) throw new IllegalArgumentException("a model has at least one layer, got " + layers);
        return depthScaled ? 1 / Math.sqrt(layers) : 1;
    }

    public AloePriParams withDepthScaled(boolean on) {
        return Records.with(this, "depthScaled", on);
    }

    /**
     * Every noise (α_e, α_h, α_down, α_gate_up, α_router) times {@code factor}, the rest unchanged: one knob over a
     * noise profile ({@link NoiseBudget} moves it to meet an accuracy budget).
     */
    public AloePriParams scaleNoise(double factor) {
        if (!(factor >= 0) || !Double.isFinite(factor))
            throw new IllegalArgumentException("noise factor must be finite and >= 0 (got " + factor + ")");
        return withNoise(alphaE * factor, alphaH * factor)
                .withFfn(alphaDown * factor, alphaGateUp * factor, split)
                .withAlphaRouter(alphaRouter * factor);
    }

    public AloePriParams withFfnNoise(FfnNoiseProfile profile) {
        return Records.with(this, "ffnNoise", profile);
    }

    public AloePriParams withAlphaRouter(double a) {
        return Records.with(this, "alphaRouter", a);
    }

    public AloePriParams withRouterNorm(boolean on) {
        return Records.with(this, "routerNorm", on);
    }

    public AloePriParams withNoise(double alphaE, double alphaH) {
        return Records.with(this, "alphaE", alphaE, "alphaH", alphaH);
    }

    public AloePriParams withExpansion(int h) {
        return Records.with(this, "expansion", h);
    }

    public AloePriParams withLambda(double l) {
        return Records.with(this, "lambda", l);
    }

    /** The FFN defenses beyond the paper: noise on W_down, on W_gate and W_up, and the unit split. */
    public AloePriParams withFfn(double alphaDown, double alphaGateUp, int split) {
        return Records.with(this, "alphaDown", alphaDown, "alphaGateUp", alphaGateUp, "split", split);
    }
}
