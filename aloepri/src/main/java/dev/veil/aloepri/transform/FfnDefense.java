package dev.veil.aloepri.transform;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.key.KeyStream;

/**
 * The FFN defenses beyond the paper, applied to one layer's plain (norm-unfolded) weights before {@link FfnTransform}:
 *
 * <ul>
 *   <li>noise on W_down ({@code alphaDown}) and on W_gate, W_up ({@code alphaGateUp}), each in units of the matrix's
 *       own standard deviation ({@link GaussianNoise}): not exact, it costs accuracy;</li>
 *   <li>the unit split ({@code split} = k): unit i becomes k units with i's gate and up rows and down columns
 *       r_1..r_{k−1} ~ N(0, σ²) (σ the standard deviation of W_down) and c_i − Σ r_j, which sum back to c_i, so the layer's
 *       output is unchanged (SiLU(g·x)(u·x) is shared by the k units; FfnTransform's scaling H then gives each unit its own
 *       positive up scale). Exact up to float rounding of the sum.</li>
 * </ul>
 *
 * Unit k·i + j of the result is part j of plain unit i (FfnTransform's permutation then hides that order).
 */
public final class FfnDefense {

    private FfnDefense() {}

    /** @param layers the model's layer count (depth-scaled noise is divided by its square root) */
    public static FfnWeights apply(FfnWeights w, AloePriParams p, int layers, KeyStream rng) {
        double gateUp = p.alphaGateUpPerLayer(layers);
        WeightMatrix gate = GaussianNoise.add(w.gate(), gateUp, rng.derive("gate.noise"));
        WeightMatrix up = GaussianNoise.add(w.up(), gateUp, rng.derive("up.noise"));
        WeightMatrix down = GaussianNoise.add(w.down(), p.alphaDownPerLayer(layers), rng.derive("down.noise"));
        return p.split() == 1
                ? new FfnWeights(gate, up, down)
                : split(new FfnWeights(gate, up, down), p.split(), rng.derive("split"));
    }

    static FfnWeights split(FfnWeights w, int k, KeyStream rng) {
        int ffn = w.gate().rows(), d = w.down().rows();
        int[] source = new int[ffn * k];
        for (int i = 0; i < source.length; i++) source[i] = i / k;
        double sigma = GaussianNoise.standardDeviation(w.down().data());
        float[] down = w.down().data(), out = new float[d * ffn * k];
        for (int r = 0; r < d; r++)
            for (int i = 0; i < ffn; i++) {
                double rest = down[r * ffn + i];
                for (int j = 0; j < k - 1; j++) {
                    float part = (float) (sigma * rng.nextGaussian());
                    out[r * ffn * k + i * k + j] = part;
                    rest -= part;
                }
                out[r * ffn * k + i * k + k - 1] = (float) rest;
            }
        return new FfnWeights(
                w.gate().gatherRows(source), w.up().gatherRows(source), new WeightMatrix(d, ffn * k, out));
    }
}
