package dev.veil.attack.math;

import java.util.Arrays;
import java.util.Random;

/**
 * An orthonormal basis of a subspace of R^d (rows), and projection onto its orthogonal complement: what removes a mask
 * confined to the subspace (ReMO's M_pub row space).
 */
public final class Subspace {

    private final int dim;
    private final double[][] basis;

    private Subspace(int dim, double[][] basis) {
        this.dim = dim;
        this.basis = basis;
    }

    public static Subspace empty(int dim) {
        return new Subspace(dim, new double[0][]);
    }

    /** The span of the rows of {@code rows [m × dim]} (Gram–Schmidt, twice for stability; dependent rows dropped). */
    public static Subspace spanOf(float[] rows, int dim) {
        int m = rows.length / dim;
        double[][] q = new double[m][];
        int rank = 0;
        for (int i = 0; i < m; i++) {
            double[] v = new double[dim];
            for (int j = 0; j < dim; j++) v[j] = rows[i * dim + j];
            double before = norm(v);
            for (int pass = 0; pass < 2; pass++) for (int b = 0; b < rank; b++) subtract(v, q[b], dot(v, q[b]));
            double after = norm(v);
            if (after <= 1e-9 * Math.max(before, 1e-300)) continue;
            for (int j = 0; j < dim; j++) v[j] /= after;
            q[rank++] = v;
        }
        return new Subspace(dim, Arrays.copyOf(q, rank));
    }

    /**
     * The span of the top {@code m} eigenvectors of the rows' second-moment matrix Σ rᵢrᵢᵀ (subspace iteration): where
     * rows dominated by masks from an m-dimensional space put their energy.
     */
    public static Subspace principal(float[] rows, int dim, int m, long seed) {
        int n = rows.length / dim;
        m = Math.min(m, Math.min(dim, n));
        if (m <= 0) return empty(dim);
        float[] cov = RowMajor.timesTransposed(
                RowMajor.transpose(rows, n, dim), dim, n, RowMajor.transpose(rows, n, dim), dim);
        Random rnd = new Random(seed);
        float[] q = new float[m * dim];
        for (int i = 0; i < q.length; i++) q[i] = (float) rnd.nextGaussian();
        Subspace s = spanOf(q, dim);
        for (int iter = 0; iter < 50; iter++) {
            float[] next = RowMajor.timesTransposed(s.rows(), s.rank(), dim, cov, dim); // (cov · qᵀ)ᵀ, cov symmetric
            s = spanOf(next, dim);
        }
        return s;
    }

    public int rank() {
        return basis.length;
    }

    public int dim() {
        return dim;
    }

    /** The basis as float rows [rank × dim]. */
    public float[] rows() {
        float[] out = new float[basis.length * dim];
        for (int b = 0; b < basis.length; b++) for (int j = 0; j < dim; j++) out[b * dim + j] = (float) basis[b][j];
        return out;
    }

    /** Each row of {@code x [n × dim]} minus its projection on the subspace. */
    public float[] complement(float[] x) {
        if (basis.length == 0) return x.clone();
        int n = x.length / dim;
        float[] b = rows();
        float[] coeff = RowMajor.timesTransposed(x, n, dim, b, basis.length); // n × rank
        float[] proj = RowMajor.times(coeff, n, basis.length, b, dim);
        float[] out = x.clone();
        for (int i = 0; i < out.length; i++) out[i] -= proj[i];
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void subtract(double[] v, double[] b, double c) {
        for (int i = 0; i < v.length; i++) v[i] -= c * b[i];
    }
}
