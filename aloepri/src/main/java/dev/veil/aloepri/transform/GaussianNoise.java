package dev.veil.aloepri.transform;

import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.kernel.Parallel;

/**
 * The embedding/head noise of paper §5.2.2: W* = W + α·N(0, σ²) entrywise, σ the standard deviation of
 * all of W's entries (one scalar per matrix). For the head, W is taken after the final norm is folded in,
 * so α is relative to the weight the model really uses.
 *
 * <p>Vocabulary-sized matrices take tens of millions of draws, so blocks of rows are drawn in parallel, each
 * from its own sub-stream: the result depends only on the seed, not on the thread count.
 */
public final class GaussianNoise {

    private static final int ROWS_PER_STREAM = 256;

    private GaussianNoise() {}

    public static WeightMatrix add(WeightMatrix w, double alpha, KeyStream rng) {
        if (alpha == 0) return w;
        return w.plus(draw(w.rows(), w.cols(), alpha * standardDeviation(w.data()), rng));
    }

    /** {@code rows × cols} i.i.d. N(0, scale²) entries (the draws {@link #add} adds). */
    public static WeightMatrix draw(int rows, int cols, double scale, KeyStream rng) {
        float[] out = new float[rows * cols];
        int blocks = Math.ceilDiv(rows, ROWS_PER_STREAM);
        Parallel.shared().forEach(blocks, b -> {
            KeyStream blockRng = rng.derive("rows." + b);
            int end = Math.min(rows, (b + 1) * ROWS_PER_STREAM) * cols;
            for (int i = b * ROWS_PER_STREAM * cols; i < end; i++) out[i] = (float) (scale * blockRng.nextGaussian());
        });
        return new WeightMatrix(rows, cols, out);
    }

    public static double standardDeviation(float[] values) {
        double sum = 0, sq = 0;
        for (float v : values) sum += v;
        double mean = sum / values.length;
        for (float v : values) sq += (v - mean) * (v - mean);
        return Math.sqrt(sq / values.length);
    }
}
