package dev.veil.aloepri.transform;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.FfnNoiseProfile;
import dev.veil.aloepri.key.KeyStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;

/**
 * The FFN defenses beyond the paper, applied to one layer's plain (norm-unfolded) weights before {@link FfnTransform}:
 *
 * <ul>
 *   <li>noise on W_down ({@code alphaDown}) and on W_gate, W_up ({@code alphaGateUp}), each in units of the matrix's
 *       own standard deviation ({@link GaussianNoise}): not exact, it costs accuracy. With the
 *       {@linkplain FfnNoiseProfile#ACTIVATION activation} profile the W_down noise is shaped by the layer's measured
 *       activation moment ({@link #shapedNoise}), at the same expected Frobenius norm;</li>
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

    /**
     * Regulariser of the activation profile's M^{-1/2}, relative to M's mean eigenvalue: directions the calibration
     * text does not reach at all get 1/√ε times the noise of an average direction, not an unbounded share.
     */
    public static final double ACTIVATION_EPS = 0.01;

    /**
     * @param layers the model's layer count (depth-scaled noise is divided by its square root)
     * @param moment E[a·aᵀ] of this FFN's hidden activation on calibration text ({@code width²}, row-major); needed by
     *               the activation profile only, else null
     */
    public static FfnWeights apply(FfnWeights w, AloePriParams p, int layers, double[] moment, KeyStream rng) {
        double gateUp = p.alphaGateUpPerLayer(layers);
        WeightMatrix gate = GaussianNoise.add(w.gate(), gateUp, rng.derive("gate.noise"));
        WeightMatrix up = GaussianNoise.add(w.up(), gateUp, rng.derive("up.noise"));
        double alphaDown = p.alphaDownPerLayer(layers);
        WeightMatrix down = p.ffnNoise() == FfnNoiseProfile.GAUSSIAN || alphaDown == 0
                ? GaussianNoise.add(w.down(), alphaDown, rng.derive("down.noise"))
                : w.down().plus(shapedNoise(w.down(), alphaDown, moment, rng.derive("down.noise")));
        return p.split() == 1
                ? new FfnWeights(gate, up, down)
                : split(new FfnWeights(gate, up, down), p.split(), rng.derive("split"));
    }

    /**
     * Noise for {@code down} ({@code d × width}) shaped by the activation moment M: N·K, N i.i.d. N(0, 1), K = (M +
     * ε·mean(λ)·I)^{-1/2} from M's eigendecomposition, scaled so E‖N·K‖²_F = (α·σ)²·d·width as for the Gaussian
     * profile. The output error N·K·a has E‖·‖² ∝ Σ_k λ_k/(λ_k + ε′), against Σ_k λ_k for the same norm of i.i.d.
     * noise: it is small where the activations' spectrum is spread, while every column of W_down still moves.
     */
    public static WeightMatrix shapedNoise(WeightMatrix down, double alpha, double[] moment, KeyStream rng) {
        int d = down.rows(), w = down.cols();
        if (moment == null)
            throw new IllegalStateException(
                    "the activation noise profile needs the FFN activations measured on calibration text");
        if (moment.length != w * w)
            throw new IllegalArgumentException(
                    "activation moment of " + moment.length + " entries for an FFN of width " + w);
        var eig = DecompositionFactory_DDRM.eig(w, true, true);
        if (!eig.decompose(new DMatrixRMaj(w, w, true, moment)))
            throw new IllegalStateException("eigendecomposition of the FFN activation moment failed");
        double mean = 0;
        for (int k = 0; k < w; k++) mean += Math.max(0, eig.getEigenvalue(k).getReal()) / w;
        if (!(mean > 0)) throw new IllegalArgumentException("the calibration text never activates this FFN");
        double[] weight = new double[w];
        double frob = 0; // ‖K‖²_F = Σ weight²
        for (int k = 0; k < w; k++) {
            weight[k] = 1 / Math.sqrt(Math.max(0, eig.getEigenvalue(k).getReal()) + ACTIVATION_EPS * mean);
            frob += weight[k] * weight[k];
        }
        double scale = Math.sqrt(w / frob);
        float[] a = new float[w * w], b = new float[w * w]; // K = A·Bᵀ = U·diag(scale·weight)·Uᵀ
        for (int e = 0; e < w; e++) {
            DMatrixRMaj u = eig.getEigenVector(e);
            for (int i = 0; i < w; i++) {
                a[i * w + e] = (float) (scale * weight[e] * u.get(i));
                b[i * w + e] = (float) u.get(i);
            }
        }
        WeightMatrix k = new WeightMatrix(w, w, a).timesTransposed(new WeightMatrix(w, w, b));
        WeightMatrix n = GaussianNoise.draw(d, w, alpha * GaussianNoise.standardDeviation(down.data()), rng);
        return n.times(k);
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
