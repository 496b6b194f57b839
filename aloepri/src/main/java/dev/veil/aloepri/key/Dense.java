package dev.veil.aloepri.key;

import java.util.random.RandomGenerator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/** The few fp64 dense operations key generation needs, over EJML. */
public final class Dense {

    private Dense() {}

    /** Entries i.i.d. N(0, variance). */
    public static DMatrixRMaj gaussian(int rows, int cols, double variance, RandomGenerator rng) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        double std = Math.sqrt(variance);
        for (int i = 0; i < m.data.length; i++) m.data[i] = std * rng.nextGaussian();
        return m;
    }

    /**
     * A Haar-distributed (uniform) orthogonal n×n matrix: Q of the QR decomposition of a Gaussian matrix,
     * with column signs fixed so that R has a positive diagonal (without the fix Q is not uniform).
     */
    public static DMatrixRMaj haarOrthogonal(int n, RandomGenerator rng) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(n, n);
        if (!qr.decompose(gaussian(n, n, 1.0, rng))) throw new IllegalStateException("QR failed");
        DMatrixRMaj q = qr.getQ(null, false);
        DMatrixRMaj r = qr.getR(null, false);
        for (int j = 0; j < n; j++) {
            if (r.get(j, j) < 0) for (int i = 0; i < n; i++) q.set(i, j, -q.get(i, j));
        }
        return q;
    }

    /** The inverse (LU with partial pivoting); fails on a singular matrix. */
    public static DMatrixRMaj inverse(DMatrixRMaj a) {
        DMatrixRMaj inv = new DMatrixRMaj(a.numRows, a.numCols);
        if (!CommonOps_DDRM.invert(a, inv)) throw new IllegalStateException("matrix is singular");
        return inv;
    }

    /**
     * An orthonormal basis (as columns) of the orthogonal complement of the column space of {@code a}
     * (rows × k, full column rank k): the last rows−k columns of the full Q of a = QR.
     */
    public static DMatrixRMaj complementBasis(DMatrixRMaj a) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(a.numRows, a.numCols);
        if (!qr.decompose(a.copy())) throw new IllegalStateException("QR failed");
        DMatrixRMaj q = qr.getQ(null, false);
        return CommonOps_DDRM.extract(q, 0, a.numRows, a.numCols, a.numRows);
    }

    public static DMatrixRMaj mult(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        CommonOps_DDRM.mult(a, b, c);
        return c;
    }

    public static DMatrixRMaj transpose(DMatrixRMaj a) {
        return CommonOps_DDRM.transpose(a, null);
    }

    /** Rows [from, to) of {@code a}. */
    public static DMatrixRMaj rows(DMatrixRMaj a, int from, int to) {
        if (from == to) return new DMatrixRMaj(0, a.numCols);
        return CommonOps_DDRM.extract(a, from, to, 0, a.numCols);
    }

    /** Largest |a_ij − I_ij|. */
    public static double maxDeviationFromIdentity(DMatrixRMaj a) {
        double max = 0;
        for (int i = 0; i < a.numRows; i++)
            for (int j = 0; j < a.numCols; j++) max = Math.max(max, Math.abs(a.get(i, j) - (i == j ? 1 : 0)));
        return max;
    }

    /** The 2-norm condition number σ_max/σ_min (SVD). */
    public static double conditionNumber(DMatrixRMaj a) {
        return org.ejml.dense.row.NormOps_DDRM.conditionP2(a);
    }
}
