package dev.veil.aloepri.transform;

import java.util.random.RandomGenerator;

/**
 * The embedding/head noise of paper §5.2.2: W* = W + α·N(0, σ²) entrywise, σ the standard deviation of
 * all of W's entries (one scalar per matrix). For the head, W is taken after the final norm is folded in,
 * so α is relative to the weight the model really uses.
 */
public final class GaussianNoise {

    private GaussianNoise() {}

    public static Matrix add(Matrix w, double alpha, RandomGenerator rng) {
        if (alpha == 0) return w;
        double sigma = standardDeviation(w.data());
        double scale = alpha * sigma;
        float[] out = w.data().clone();
        for (int i = 0; i < out.length; i++) out[i] += (float) (scale * rng.nextGaussian());
        return new Matrix(w.rows(), w.cols(), out);
    }

    public static double standardDeviation(float[] values) {
        double sum = 0, sq = 0;
        for (float v : values) sum += v;
        double mean = sum / values.length;
        for (float v : values) sq += (v - mean) * (v - mean);
        return Math.sqrt(sq / values.length);
    }
}
