package dev.veil.attack.math;

import dev.veil.engine.kernel.Parallel;
import java.util.Arrays;

/**
 * Permutation-invariant row features for vocabulary matching (Thomas et al.): standardise every column (which also
 * cancels a positive scaling of columns), sort every row (which cancels any permutation of columns) and keep
 * {@code q} evenly spaced order statistics.
 */
public final class RowSort {

    private RowSort() {}

    /** {@code [rows × q]} sorted-row quantile features of {@code m [rows × cols]}. */
    public static float[] features(float[] m, int rows, int cols, int q) {
        float[] mean = new float[cols], inv = new float[cols];
        double[] sum = new double[cols], sq = new double[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                double v = m[r * cols + c];
                sum[c] += v;
                sq[c] += v * v;
            }
        for (int c = 0; c < cols; c++) {
            mean[c] = (float) (sum[c] / rows);
            double var = sq[c] / rows - (sum[c] / rows) * (sum[c] / rows);
            inv[c] = var > 0 ? (float) (1 / Math.sqrt(var)) : 0f;
        }
        float[] out = new float[rows * q];
        Parallel.shared().forEach(rows, r -> {
            float[] row = new float[cols];
            for (int c = 0; c < cols; c++) row[c] = (m[r * cols + c] - mean[c]) * inv[c];
            Arrays.sort(row);
            for (int j = 0; j < q; j++) out[r * q + j] = row[(int) ((j + 0.5) * cols / q)];
        });
        return out;
    }

    /** Sorted-column quantile features: {@code [cols × q]}, one row per column of {@code m}. */
    public static float[] columnFeatures(float[] m, int rows, int cols, int q) {
        float[] out = new float[cols * q];
        for (int c = 0; c < cols; c++) {
            float[] col = new float[rows];
            for (int r = 0; r < rows; r++) col[r] = m[r * cols + c];
            Arrays.sort(col);
            for (int j = 0; j < q; j++) out[c * q + j] = col[(int) ((j + 0.5) * rows / q)];
        }
        return out;
    }

    /** Squared Euclidean distances {@code [n × m]} between the rows of {@code a [n × dim]} and {@code b [m × dim]}. */
    public static float[] squaredDistances(float[] a, int n, float[] b, int m, int dim) {
        float[] dot = RowMajor.timesTransposed(a, n, dim, b, m);
        float[] na = squaredNorms(a, n, dim), nb = squaredNorms(b, m, dim);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) dot[i * m + j] = Math.max(0f, na[i] + nb[j] - 2 * dot[i * m + j]);
        return dot;
    }

    static float[] squaredNorms(float[] a, int n, int dim) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < dim; j++) s += (double) a[i * dim + j] * a[i * dim + j];
            out[i] = (float) s;
        }
        return out;
    }
}
