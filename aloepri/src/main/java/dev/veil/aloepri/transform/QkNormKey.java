package dev.veil.aloepri.transform;

import java.util.random.RandomGenerator;

/**
 * The layer-wide part of the attention key of a q_norm/k_norm model (Qwen3), which must be the same for every head
 * because the norm weights γ_q, γ_k (head_dim values each) are shared by all heads. See aloepri/README.md, "Qwen3".
 *
 * <p>The head transform T must commute with the norm and with RoPE and keep q·kᵀ: the norm needs T orthogonal and
 * γ·T = T·γ̃ for a diagonal γ̃, which for generic γ leaves signed permutations; RoPE needs them to act on whole pairs
 * (j, j + head_dim/2) as rotations. So per pair: a quarter turn or not ({@code swap[j]}: the pair's two γ entries
 * trade places in γ̃, the same in every head), a half turn or not (per head, γ̃ unchanged), and pairs moved by
 * {@code blocks} (exact only between pairs of equal RoPE frequency, like the paper's block permutation; the
 * identity at β = 1). After the norm the scaling H of the paper moves onto the norm weights: γ̃_q = γ_q·T·S,
 * γ̃_k = γ_k·T·S⁻¹ with S one positive scale per pair ({@code scale}, indexed by the obfuscated pair), which RoPE and
 * q·kᵀ both let through.
 */
public record QkNormKey(boolean[] swap, int[] blocks, double[] scale) {

    public static QkNormKey sample(double[] inverseFrequencies, int beta, double gamma, RandomGenerator rng) {
        int half = inverseFrequencies.length;
        boolean[] swap = new boolean[half];
        double[] scale = new double[half];
        for (int j = 0; j < half; j++) {
            swap[j] = rng.nextBoolean();
            scale[j] = HeadKey.logUniform(HeadKey.SCALE_RANGE, rng);
        }
        return new QkNormKey(swap, BlockPermutation.sample(inverseFrequencies, beta, gamma, rng), scale);
    }

    /** γ̃_q from γ_q: each pair moved (and its two entries swapped where {@code swap}), times the pair's scale. */
    public float[] query(float[] gamma) {
        return map(gamma, false);
    }

    /** γ̃_k from γ_k: as {@link #query}, divided by the pair's scale. */
    public float[] key(float[] gamma) {
        return map(gamma, true);
    }

    private float[] map(float[] gamma, boolean inverse) {
        int half = swap.length;
        if (gamma.length != 2 * half)
            throw new IllegalArgumentException("norm weight of " + gamma.length + " values for head_dim " + 2 * half);
        float[] out = new float[gamma.length];
        for (int j = 0; j < half; j++) {
            int to = blocks[j];
            double s = inverse ? 1 / scale[to] : scale[to];
            out[to] = (float) (gamma[swap[j] ? j + half : j] * s);
            out[to + half] = (float) (gamma[swap[j] ? j : j + half] * s);
        }
        return out;
    }
}
