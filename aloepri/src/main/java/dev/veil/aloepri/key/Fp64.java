package dev.veil.aloepri.key;

import java.util.random.RandomGenerator;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * The few fp64 dense operations key generation needs, on EJML matrices. Products of model-sized matrices run on
 * {@link Fp64Gemm}, the Haar matrices and the inverse on {@link GramSchmidt}; small ones (a head's keys) on EJML.
 */
public final class Fp64 {

    /** Multiply-adds (or elements) above which an operation is worth the threads. */
    private static final long PARALLEL_WORK = 1L << 20;

    private Fp64() {}

    /** Entries i.i.d. N(0, variance). */
    public static DMatrixRMaj gaussian(int rows, int cols, double variance, RandomGenerator rng) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        double std = Math.sqrt(variance);
        for (int i = 0; i < m.data.length; i++) m.data[i] = std * rng.nextGaussian();
        return m;
    }

    /**
     * A Haar-distributed (uniform) orthogonal n×n matrix: the rows of a Gaussian matrix orthonormalised in order
     * (Gram–Schmidt makes the triangular factor's diagonal positive, which is what makes the result uniform).
     */
    public static DMatrixRMaj haarOrthogonal(int n, RandomGenerator rng) {
        return GramSchmidt.orthonormalRows(gaussian(n, n, 1.0, rng));
    }

    /** The inverse (block Gram–Schmidt, see {@link GramSchmidt}); fails on a singular matrix. */
    public static DMatrixRMaj inverse(DMatrixRMaj a) {
        return GramSchmidt.inverse(a);
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
        if ((long) a.numRows * a.numCols * b.numCols > PARALLEL_WORK) Fp64Gemm.multiplyAdd(1, a, b, c);
        else CommonOps_DDRM.mult(a, b, c);
        return c;
    }

    public static DMatrixRMaj transpose(DMatrixRMaj a) {
        return a.getNumElements() > PARALLEL_WORK
                ? CommonOps_MT_DDRM.transpose(a, null)
                : CommonOps_DDRM.transpose(a, null);
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
