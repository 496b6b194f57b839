package dev.veil.aloepri.transform;

import dev.veil.aloepri.key.KeyMatrices;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The constant κ that replaces an RMSNorm weight (paper §5.2.5). The obfuscated norm computes
 * κ·r̃/rms_{d+2h}(r̃); a reader's Q̂ turns that into κ·r/rms_{d+2h}(r̃), which should be r/rms_d(r). So
 * κ = rms_{d+2h}(r̃)/rms_d(r), averaged over the residuals the norm will see — exact only when that ratio
 * is the same for every token (it is not: P̂ is not orthogonal and the residual carries the writers' garbage
 * block), which is AloePri's RMSNorm error.
 */
public final class Kappa {

    private Kappa() {}

    /** Mean over rows of rms(obfuscated row)/rms(plain row): rows of {@code plain} are d wide, of {@code obfuscated} d+2h. */
    public static double fromResiduals(float[] plain, float[] obfuscated, int rows) {
        int d = plain.length / rows, dObf = obfuscated.length / rows;
        double sum = 0;
        for (int r = 0; r < rows; r++) sum += rms(obfuscated, r * dObf, dObf) / rms(plain, r * d, d);
        return sum / rows;
    }

    /**
     * The paper's estimate: Gaussian rows x ~ N(0, I_d) through one fresh writer key,
     * κ = E[rms_{d+2h}(x·P̂)/rms_d(x)] (= sqrt(d/(d+2h))·E[‖x·P̂‖/‖x‖]).
     */
    public static double gaussian(KeyMatrices keys, int samples, RandomGenerator rng) {
        WeightMatrix p = WeightMatrix.of(keys.writerKey(rng));
        int d = keys.hidden();
        float[] x = new float[samples * d];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        return fromResiduals(x, new WeightMatrix(samples, d, x).times(p).data(), samples);
    }

    /** The obfuscated norm weight: κ in every one of the d+2h coordinates. */
    public static float[] normWeight(double kappa, int obfuscatedHidden) {
        float[] w = new float[obfuscatedHidden];
        Arrays.fill(w, (float) kappa);
        return w;
    }

    static double rms(float[] v, int from, int len) {
        double s = 0;
        for (int i = from; i < from + len; i++) s += (double) v[i] * v[i];
        return Math.sqrt(s / len);
    }
}
