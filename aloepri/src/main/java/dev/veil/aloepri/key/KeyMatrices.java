package dev.veil.aloepri.key;

import java.util.random.RandomGenerator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;

/**
 * AloePri's key matrices (paper Algorithm 1), in fp64 and the paper's row-vector convention
 * ({@code x̃ = x·P̂}).
 *
 * <p>One base (U, B = U + λV, B⁻¹, E and F of rank h/2, Z) per model. Every <em>writer</em> into the residual
 * stream (embedding, each o_proj, each down_proj) gets a fresh C with CF = 0 and the key
 * P̂ = [B C E]·Z (d × d+2h); every <em>reader</em> (q/k/v, gate/up, lm_head) gets a fresh D with ED = 0 and
 * Q̂ = Zᵀ·[B⁻¹; F; D] (d+2h × d). Then P̂_i·Q̂_j = BB⁻¹ + C_iF + ED_j = I for every pair, so the residual
 * stream Σ x_i·P̂_i, whatever the writers, reads back as Σ x_i through any Q̂_j (paper Lemma 10).
 *
 * <p>Sampling scales: U, Z Haar; V, E₁, E₂, F₁, F₂ ~ N(0, 1/d) as in the paper. The paper leaves the scale of C
 * and D open; C and D take N(0, 1/d) coefficients on an orthonormal null-space basis, which keeps the
 * residual's "garbage" block (x·C) as small as the key material around it (a larger C inflates the
 * RMSNorm error, see notes §5.1).
 */
public final class KeyMatrices {

    private final int d;
    private final int h;
    private final DMatrixRMaj b;
    private final DMatrixRMaj e;
    private final DMatrixRMaj f;
    private final DMatrixRMaj z;
    /** [B 0 E]·Z: the part of every P̂ that does not depend on C. */
    private final DMatrixRMaj writerBase;
    /** Zᵀ·[B⁻¹; F; 0]: the part of every Q̂ that does not depend on D. */
    private final DMatrixRMaj readerBase;
    /** Orthonormal basis (h × h/2) of null(Fᵀ): the rows of C live there. */
    private final DMatrixRMaj nullFt;
    /** Orthonormal basis (h × h/2) of null(E): the columns of D live there. */
    private final DMatrixRMaj nullE;
    /**
     * nullFtᵀ·Z_middle (h/2 × d+2h): C = G·nullFtᵀ for a Gaussian G (d × h/2), so a writer adds
     * C·Z_middle = G·(nullFtᵀ·Z_middle), half the work of forming C first.
     */
    private final DMatrixRMaj cToResidual;
    /** Z_bottomᵀ·nullE (d+2h × h/2): D = nullE·G, so a reader adds Z_bottomᵀ·D = (Z_bottomᵀ·nullE)·G. */
    private final DMatrixRMaj residualFromD;

    private KeyMatrices(
            int d,
            int h,
            DMatrixRMaj b,
            DMatrixRMaj bInv,
            DMatrixRMaj e,
            DMatrixRMaj f,
            DMatrixRMaj z,
            DMatrixRMaj nullFt,
            DMatrixRMaj nullE) {
        this.d = d;
        this.h = h;
        this.b = b;
        this.e = e;
        this.f = f;
        this.z = z;
        this.nullFt = nullFt;
        this.nullE = nullE;
        DMatrixRMaj zTop = Fp64.rows(z, 0, d);
        DMatrixRMaj zMiddle = Fp64.rows(z, d, d + h);
        DMatrixRMaj zBottom = Fp64.rows(z, d + h, d + 2 * h);
        // [B 0 E]·Z = B·Z_top + E·Z_bottom ; Zᵀ[B⁻¹; F; 0] = Z_topᵀ·B⁻¹ + Z_middleᵀ·F
        this.writerBase = Fp64.mult(b, zTop);
        this.readerBase = Fp64.mult(Fp64.transpose(zTop), bInv);
        if (h > 0) {
            CommonOps_DDRM.addEquals(writerBase, Fp64.mult(e, zBottom));
            CommonOps_DDRM.addEquals(readerBase, Fp64.mult(Fp64.transpose(zMiddle), f));
            this.cToResidual = Fp64.mult(Fp64.transpose(nullFt), zMiddle);
            this.residualFromD = Fp64.mult(Fp64.transpose(zBottom), nullE);
        } else {
            this.cToResidual = null;
            this.residualFromD = null;
        }
    }

    /** INIT(d, h, λ) of Algorithm 1. */
    public static KeyMatrices generate(int d, int h, double lambda, RandomGenerator rng) {
        if (d <= 0) throw new IllegalArgumentException("hidden size d must be positive, got " + d);
        if (h < 0 || h % 2 != 0) throw new IllegalArgumentException("expansion h must be even and >= 0, got " + h);
        if (!(lambda > 0) || !Double.isFinite(lambda))
            throw new IllegalArgumentException("lambda must be > 0, got " + lambda);
        double var = 1.0 / d;
        DMatrixRMaj u = Fp64.haarOrthogonal(d, rng);
        DMatrixRMaj b = u.copy();
        CommonOps_DDRM.addEquals(b, lambda, Fp64.gaussian(d, d, var, rng));
        DMatrixRMaj bInv = Fp64.inverse(b);
        DMatrixRMaj z = Fp64.haarOrthogonal(d + 2 * h, rng);
        if (h == 0) {
            DMatrixRMaj empty = new DMatrixRMaj(0, 0);
            return new KeyMatrices(d, 0, b, bInv, new DMatrixRMaj(d, 0), new DMatrixRMaj(0, d), z, empty, empty);
        }
        int r = h / 2;
        DMatrixRMaj e1 = Fp64.gaussian(d, r, var, rng), e2 = Fp64.gaussian(r, h, var, rng);
        DMatrixRMaj f1 = Fp64.gaussian(h, r, var, rng), f2 = Fp64.gaussian(r, d, var, rng);
        DMatrixRMaj e = Fp64.mult(e1, e2);
        DMatrixRMaj f = Fp64.mult(f1, f2);
        // E1, F2 have full rank h/2 (almost surely), so null(E) = null(E2) = col(E2ᵀ)^⊥ and null(Fᵀ) = col(F1)^⊥.
        DMatrixRMaj nullE = Fp64.complementBasis(Fp64.transpose(e2));
        DMatrixRMaj nullFt = Fp64.complementBasis(f1);
        return new KeyMatrices(d, h, b, bInv, e, f, z, nullFt, nullE);
    }

    public int hidden() {
        return d;
    }

    public int expansion() {
        return h;
    }

    /**
     * The condition number σ_max/σ_min of B = U + λV: how much the key can enlarge a relative error made in the
     * obfuscated basis (quantization) when it is read back. V is Gaussian, so for λ near 1 and above B comes close to
     * singular (aloepri-quant.md).
     */
    public double condition() {
        double[] s = SingularOps_DDRM.singularValues(b.copy());
        double max = 0, min = Double.POSITIVE_INFINITY;
        for (double v : s) {
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        return max / min;
    }

    /** d + 2h, the obfuscated hidden size. */
    public int obfuscatedHidden() {
        return d + 2 * h;
    }

    /** KEYMATGEN: a writer key P̂ = [B C E]·Z (d × d+2h) with a fresh C, CF = 0. */
    public DMatrixRMaj writerKey(RandomGenerator rng) {
        DMatrixRMaj p = writerBase.copy();
        if (h > 0) CommonOps_DDRM.addEquals(p, Fp64.mult(coefficientsC(rng), cToResidual));
        return p;
    }

    /** INVKEYMATGEN: a reader key Q̂ = Zᵀ·[B⁻¹; F; D] (d+2h × d) with a fresh D, ED = 0. */
    public DMatrixRMaj readerKey(RandomGenerator rng) {
        DMatrixRMaj q = readerBase.copy();
        if (h > 0) CommonOps_DDRM.addEquals(q, Fp64.mult(residualFromD, coefficientsD(rng)));
        return q;
    }

    /** C (d × h): rows drawn from null(Fᵀ), so C·F = 0. */
    DMatrixRMaj freshC(RandomGenerator rng) {
        return Fp64.mult(coefficientsC(rng), Fp64.transpose(nullFt));
    }

    /** D (h × d): columns drawn from null(E), so E·D = 0. */
    DMatrixRMaj freshD(RandomGenerator rng) {
        return Fp64.mult(nullE, coefficientsD(rng));
    }

    /** C's coordinates (d × h/2) in the basis nullFt: N(0, 1/d). */
    private DMatrixRMaj coefficientsC(RandomGenerator rng) {
        return Fp64.gaussian(d, h / 2, 1.0 / d, rng);
    }

    /** D's coordinates (h/2 × d) in the basis nullE: N(0, 1/d). */
    private DMatrixRMaj coefficientsD(RandomGenerator rng) {
        return Fp64.gaussian(h / 2, d, 1.0 / d, rng);
    }

    DMatrixRMaj b() {
        return b;
    }

    DMatrixRMaj e() {
        return e;
    }

    DMatrixRMaj f() {
        return f;
    }

    DMatrixRMaj z() {
        return z;
    }
}
