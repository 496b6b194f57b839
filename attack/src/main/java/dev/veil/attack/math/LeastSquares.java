package dev.veil.attack.math;

/**
 * Ridge regression in double precision: {@code W = (XᵀX + λI)⁻¹ XᵀY} by Cholesky, with an intercept column, for the
 * learned linear probes and inverters and the differencing attack's mask estimate.
 */
public final class LeastSquares {

    private final int in, out;
    private final double[] w; // (in + 1) × out, last row the intercept

    private LeastSquares(int in, int out, double[] w) {
        this.in = in;
        this.out = out;
        this.w = w;
    }

    /** Fits {@code y ≈ x·W + b} over the rows of {@code x [n × in]} and {@code y [n × out]}; λ scales the trace. */
    public static LeastSquares fit(float[] x, float[] y, int n, int in, int out, double lambda, boolean intercept) {
        int p = in + 1;
        double[] xtx = new double[p * p], xty = new double[p * out];
        double[] row = new double[p];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < in; j++) row[j] = x[r * in + j];
            row[in] = intercept ? 1 : 0;
            for (int a = 0; a < p; a++) {
                double ra = row[a];
                if (ra == 0) continue;
                for (int b = a; b < p; b++) xtx[a * p + b] += ra * row[b];
                for (int c = 0; c < out; c++) xty[a * out + c] += ra * y[r * out + c];
            }
        }
        for (int a = 0; a < p; a++) for (int b = 0; b < a; b++) xtx[a * p + b] = xtx[b * p + a];
        double trace = 0;
        for (int a = 0; a < in; a++) trace += xtx[a * p + a];
        double ridge = lambda * Math.max(trace / Math.max(in, 1), Double.MIN_NORMAL);
        for (int a = 0; a < in; a++) xtx[a * p + a] += ridge;
        if (!intercept) xtx[in * p + in] = 1;
        else xtx[in * p + in] += 1e-12 * Math.max(n, 1);
        return new LeastSquares(in, out, solve(xtx, xty, p, out));
    }

    /** The weights of output {@code column}: how it depends on each input ({@code in} values, the intercept left out). */
    public float[] weights(int column) {
        float[] w = new float[in];
        for (int j = 0; j < in; j++) w[j] = (float) this.w[j * out + column];
        return w;
    }

    /** {@code x [n × in] · W + b}. */
    public float[] predict(float[] x, int n) {
        float[] y = new float[n * out];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < out; c++) {
                double s = w[in * out + c];
                for (int j = 0; j < in; j++) s += x[r * in + j] * w[j * out + c];
                y[r * out + c] = (float) s;
            }
        return y;
    }

    /** Solves {@code A X = B} for symmetric positive definite {@code A [p × p]}, {@code B [p × m]} (Cholesky). */
    public static double[] solve(double[] a, double[] b, int p, int m) {
        double[] l = new double[p * p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * p + j];
                for (int k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
                if (i == j) {
                    if (!(s > 0)) s = Math.max(Math.abs(a[i * p + i]), 1) * 1e-12; // numerically singular: nudge
                    l[i * p + i] = Math.sqrt(s);
                } else {
                    l[i * p + j] = s / l[j * p + j];
                }
            }
        }
        double[] x = b.clone();
        for (int c = 0; c < m; c++) {
            for (int i = 0; i < p; i++) { // L y = b
                double s = x[i * m + c];
                for (int k = 0; k < i; k++) s -= l[i * p + k] * x[k * m + c];
                x[i * m + c] = s / l[i * p + i];
            }
            for (int i = p - 1; i >= 0; i--) { // Lᵀ x = y
                double s = x[i * m + c];
                for (int k = i + 1; k < p; k++) s -= l[k * p + i] * x[k * m + c];
                x[i * m + c] = s / l[i * p + i];
            }
        }
        return x;
    }
}
