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
 * of equal frequency (see {@link BlockPermutation}). U_vo ~ N(0, 1/head_dim).
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
        DMatrixRMaj u = Fp64.gaussian(headDim, headDim, 1.0 / headDim, rng);
        return new HeadKey(
                Fp64.mult(Fp64.mult(rotation, scale), blockPerm),
                Fp64.mult(Fp64.mult(rotation, inverseScale), blockPerm),
                u,
                Fp64.inverse(u));
    }

    /** exp(U(−ln r, ln r)): a positive scale in [1/r, r], symmetric in log. */
    static double logUniform(double range, RandomGenerator rng) {
        return Math.exp((2 * rng.nextDouble() - 1) * Math.log(range));
    }
}
