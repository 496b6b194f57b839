package dev.veil.aloepri.transform;

import java.util.random.RandomGenerator;

/**
 * BlockPerm(β, γ, ζ, m) of paper Algorithm 2: a permutation of the head_dim/2 RoPE blocks made of
 * consecutive windows, each shuffled uniformly. A window starting at block t takes size w ∈ [1, min(β, m−t)]
 * with probability ∝ exp(γ·(θ_{t+w−1} − θ_t)) (θ falls with the block index, so the exponent is ≤ 0): the
 * frequency spread it would mix, scaled by γ. High-frequency blocks, whose neighbours differ by far more than
 * 1/γ, stay put; the low-frequency tail, where mixing costs almost no RoPE angle, gets windows up to β.
 * (The paper's pseudo-code lists the softmax over θ_{t+i} − θ_t, i = 1..c, with no role for γ and no
 * t += w; this is the reading that makes both parameters meaningful.)
 */
public final class BlockPermutation {

    private BlockPermutation() {}

    /** {@code result[j]} is the position block j moves to; identity when β = 1. */
    public static int[] sample(double[] inverseFrequencies, int beta, double gamma, RandomGenerator rng) {
        int m = inverseFrequencies.length;
        int[] perm = new int[m];
        for (int j = 0; j < m; j++) perm[j] = j;
        int t = 0;
        while (t < m) {
            int c = Math.min(beta, m - t);
            double[] weight = new double[c];
            double total = 0;
            for (int w = 1; w <= c; w++) {
                weight[w - 1] = Math.exp(gamma * (inverseFrequencies[t + w - 1] - inverseFrequencies[t]));
                total += weight[w - 1];
            }
            double u = rng.nextDouble() * total;
            int size = 1;
            while (size < c && (u -= weight[size - 1]) > 0) size++;
            for (int i = t + size - 1; i > t; i--) {
                int j = t + rng.nextInt(i - t + 1);
                int tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            t += size;
        }
        return perm;
    }
}
