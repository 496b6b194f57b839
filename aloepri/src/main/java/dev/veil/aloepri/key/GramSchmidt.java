package dev.veil.aloepri.key;

import dev.veil.engine.kernel.VectorMath;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.ejml.data.DMatrixRMaj;

/**
 * M = L·Q for a square M: Q with orthonormal rows, L lower triangular with a positive diagonal, by block classical
 * Gram–Schmidt with one reorthogonalisation (CGS2, orthogonal to working precision for any M that is not nearly
 * singular). Almost all the work is in {@link Fp64Gemm} products of a block of rows against the rows already done, so it
 * runs at matrix-multiply speed — unlike Householder QR and LU in EJML, which at d = 2048 took most of a minute.
 *
 * <p>It gives the two O(d³) things key generation needs: a Haar orthogonal matrix (the rows of a Gaussian matrix
 * orthonormalised; positive diag(L) makes the factorisation unique, so Q is exactly Haar) and an inverse: applying
 * every row operation to the identity as well yields L⁻¹ (Q = L⁻¹·M), and M⁻¹ = Qᵀ·L⁻¹.
 */
final class GramSchmidt {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int BLOCK = 64;

    private final int n;
    /** Rows [0, done) hold Q's rows; the rest still M's. */
    private final double[] q;
    /** Rows [0, done) hold L⁻¹'s rows (null when not tracked). */
    private final double[] lInverse;

    private GramSchmidt(DMatrixRMaj m, boolean trackInverse) {
        if (m.numRows != m.numCols) throw new IllegalArgumentException("not square: " + m.numRows + "×" + m.numCols);
        this.n = m.numRows;
        this.q = m.data.clone();
        this.lInverse = trackInverse ? new double[n * n] : null;
        for (int i0 = 0; i0 < n; i0 += BLOCK) block(i0, Math.min(n, i0 + BLOCK));
    }

    /** Q: the rows of {@code m} orthonormalised in order. */
    static DMatrixRMaj orthonormalRows(DMatrixRMaj m) {
        GramSchmidt g = new GramSchmidt(m, false);
        return DMatrixRMaj.wrap(g.n, g.n, g.q);
    }

    /** {@code m⁻¹ = Qᵀ·L⁻¹}; fails when {@code m} is numerically singular. */
    static DMatrixRMaj inverse(DMatrixRMaj m) {
        GramSchmidt g = new GramSchmidt(m, true);
        DMatrixRMaj inv = new DMatrixRMaj(g.n, g.n);
        Fp64Gemm.multiplyAdd(
                1, Fp64.transpose(DMatrixRMaj.wrap(g.n, g.n, g.q)), DMatrixRMaj.wrap(g.n, g.n, g.lInverse), inv);
        return inv;
    }

    /** Orthonormalises rows [i0, i1) against rows [0, i0) (two passes), then among themselves. */
    private void block(int i0, int i1) {
        int rows = i1 - i0;
        DMatrixRMaj y = DMatrixRMaj.wrap(rows, n, Arrays.copyOfRange(q, i0 * n, i1 * n));
        DMatrixRMaj x = lInverse == null ? null : new DMatrixRMaj(rows, n);
        if (x != null) for (int j = 0; j < rows; j++) x.data[j * n + i0 + j] = 1;
        double[] original = new double[rows];
        for (int j = 0; j < rows; j++) original[j] = Math.sqrt(dot(y.data, j * n, y.data, j * n, n));
        if (i0 > 0) {
            DMatrixRMaj done = DMatrixRMaj.wrap(i0, n, q); // a view of the first i0 rows: row-major, so a prefix
            for (int pass = 0; pass < 2; pass++) {
                DMatrixRMaj coefficientsT = new DMatrixRMaj(i0, rows); // (Y·Qᵀ)ᵀ = Q·Yᵀ
                Fp64Gemm.multiplyAdd(1, done, Fp64.transpose(y), coefficientsT);
                DMatrixRMaj coefficients = Fp64.transpose(coefficientsT);
                Fp64Gemm.multiplyAdd(-1, coefficients, done, y);
                if (x != null) Fp64Gemm.multiplyAdd(-1, coefficients, DMatrixRMaj.wrap(i0, n, lInverse), x);
            }
        }
        for (int j = 0; j < rows; j++) {
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < j; p++) {
                    double c = dot(y.data, j * n, y.data, p * n, n);
                    axpy(-c, y.data, p * n, y.data, j * n, n);
                    if (x != null) axpy(-c, x.data, p * n, x.data, j * n, n);
                }
            double norm = Math.sqrt(dot(y.data, j * n, y.data, j * n, n));
            // what is left of a row after removing the rows before it: ~0 when it depends on them
            if (!(norm > 1e-12 * original[j]))
                throw new IllegalStateException("matrix is singular (row " + (i0 + j) + ")");
            scale(1 / norm, y.data, j * n, n);
            if (x != null) scale(1 / norm, x.data, j * n, n);
        }
        System.arraycopy(y.data, 0, q, i0 * n, rows * n);
        if (x != null) System.arraycopy(x.data, 0, lInverse, i0 * n, rows * n);
    }

    private static double dot(double[] a, int ao, double[] b, int bo, int len) {
        DoubleVector s = DoubleVector.zero(S);
        int k = 0, bound = S.loopBound(len);
        for (; k < bound; k += S.length())
            s = DoubleVector.fromArray(S, a, ao + k).fma(DoubleVector.fromArray(S, b, bo + k), s);
        double r = VectorMath.sum(s); // not reduceLanes: its order changes once compiled, and a seed must give one key
        for (; k < len; k++) r += a[ao + k] * b[bo + k];
        return r;
    }

    /** {@code y += alpha·x}. */
    private static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int len) {
        for (int k = 0; k < len; k++) y[yo + k] += alpha * x[xo + k];
    }

    private static void scale(double alpha, double[] v, int from, int len) {
        for (int k = from; k < from + len; k++) v[k] *= alpha;
    }
}
