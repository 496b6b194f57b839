package dev.veil.aloepri.transform;

import dev.veil.aloepri.key.Fp64;
import java.util.random.RandomGenerator;
import org.ejml.data.DMatrixRMaj;

/**
 * The intra-head key of one key/value head (paper Algorithm 2), shared by the query heads of its group, as
 * head_dim × head_dim maps in the row-vector convention:
 * q̃ = q·R·H·Z_block, k̃ = k·R·H⁻¹·Z_block (so q̃·k̃ᵀ = q·kᵀ), ṽ = v·U_vo, and o_proj takes U_vo⁻¹.
 *
 * <p>RoPE pairs dims (j, j + head_dim/2) (Hugging Face rotate_half), so block j is that pair: R rotates it
 * by ρ_j ~ U(0, 2π), H scales it by s_j (log-uniform in [1/2, 2]; the paper leaves the law open), both of
 * which commute with RoPE's rotation of the same pair; Z_block moves whole pairs, exact only between blocks
 * of equal frequency (see {@link BlockPermutation}). U_vo is Haar-orthogonal (the paper draws it Gaussian): v·U_vo and
 * U_vo⁻¹·o hide the value basis either way, but a Gaussian U_vo's condition number is heavy-tailed, and its inverse
 * amplified BF16 rounding of v_proj into +3.8% perplexity with one key on the bundled model (aloepri/README.md, "BF16").
 * The orthogonal one takes the same Gaussian draws, so every other key is unchanged.
 */
public record HeadKey(DMatrixRMaj query, DMatrixRMaj key, DMatrixRMaj value, DMatrixRMaj valueInverse) {

    static final double SCALE_RANGE = 2.0;

    public static HeadKey sample(
            int headDim, double[] inverseFrequencies, int beta, double gamma, RandomGenerator rng) {
        int half = headDim / 2;
        DMatrixRMaj rotation = new DMatrixRMaj(headDim, headDim);
        DMatrixRMaj scale = new DMatrixRMaj(headDim, headDim);
        DMatrixRMaj inverseScale = new DMatrixRMaj(headDim, headDim);
        for (int j = 0; j < half; j++) {
            double rho = 2 * Math.PI * rng.nextDouble();
            double c = Math.cos(rho), s = Math.sin(rho);
            int a = j, b = j + half;
            rotation.set(a, a, c);
            rotation.set(a, b, -s);
            rotation.set(b, a, s);
            rotation.set(b, b, c);
            double sj = logUniform(SCALE_RANGE, rng);
            scale.set(a, a, sj);
            scale.set(b, b, sj);
            inverseScale.set(a, a, 1 / sj);
            inverseScale.set(b, b, 1 / sj);
        }
        int[] blocks = BlockPermutation.sample(inverseFrequencies, beta, gamma, rng);
        DMatrixRMaj blockPerm = new DMatrixRMaj(headDim, headDim);
        for (int j = 0; j < half; j++) {
            blockPerm.set(j, blocks[j], 1);
            blockPerm.set(j + half, blocks[j] + half, 1);
        }
        DMatrixRMaj u = Fp64.haarOrthogonal(headDim, rng);
        return new HeadKey(
                Fp64.mult(Fp64.mult(rotation, scale), blockPerm),
                Fp64.mult(Fp64.mult(rotation, inverseScale), blockPerm),
                u,
                Fp64.transpose(u));
    }

    /**
     * The key of one key/value head of a q_norm/k_norm model (Qwen3): T = R·Z_block on both q and k (so q̃·k̃ᵀ = q·kᵀ),
     * with R turning pair j by a multiple of 90° — a quarter turn where the layer's {@link QkNormKey} swaps the pair
     * (shared by every head, because the norm weights are), a half turn (both signs flipped) drawn per head — and
     * Z_block the layer's block permutation. No H: the norm divides it out; {@link QkNormKey} puts the pair scaling
     * on the norm weights instead. U_vo as in {@link #sample}.
     */
    public static HeadKey qkNorm(int headDim, QkNormKey layer, RandomGenerator rng) {
        int half = headDim / 2;
        DMatrixRMaj t = new DMatrixRMaj(headDim, headDim);
        for (int j = 0; j < half; j++) {
            int quarter = (layer.swap()[j] ? 1 : 0) + (rng.nextBoolean() ? 2 : 0);
            double c = quarter == 0 ? 1 : quarter == 2 ? -1 : 0, s = quarter == 1 ? 1 : quarter == 3 ? -1 : 0;
            // row-vector convention as in sample: column p of T is where input dim p's pair lands after R, then Z
            int a = j, b = j + half, to = layer.blocks()[j];
            t.set(a, to, c);
            t.set(a, to + half, -s);
            t.set(b, to, s);
            t.set(b, to + half, c);
        }
        DMatrixRMaj u = Fp64.haarOrthogonal(headDim, rng);
        return new HeadKey(t, t.copy(), u, Fp64.transpose(u));
    }

    /** exp(U(−ln r, ln r)): a positive scale in [1/r, r], symmetric in log. */
    static double logUniform(double range, RandomGenerator rng) {
        return Math.exp((2 * rng.nextDouble() - 1) * Math.log(range));
    }
}
