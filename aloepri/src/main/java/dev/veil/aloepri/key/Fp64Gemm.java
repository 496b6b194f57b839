package dev.veil.aloepri.key;

import dev.veil.engine.kernel.Parallel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.ejml.data.DMatrixRMaj;

/**
 * {@code C += α·A·B} in fp64 for row-major matrices: the product behind key generation (Haar matrices, B⁻¹, the
 * key bases), which at d = 1024..4096 is billions of multiply-adds — EJML's generic loops run it at a few GFLOPS.
 *
 * <p>Rows of C are split into blocks across the engine's threads; within a block, k is cut into slabs so a strip of
 * B (one slab × two vectors of columns) stays in L1 while four rows of A pass over it, each step doing eight FMAs
 * from two loads of B and four broadcasts of A.
 */
final class Fp64Gemm {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int ROWS_PER_TASK = 32;
    private static final int K_SLAB = 256;

    private Fp64Gemm() {}

    /** {@code c += alpha · a · b}. */
    static void multiplyAdd(double alpha, DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        if (a.numCols != b.numRows || c.numRows != a.numRows || c.numCols != b.numCols)
            throw new IllegalArgumentException("cannot add (" + a.numRows + "×" + a.numCols + ")·(" + b.numRows + "×"
                    + b.numCols + ") to a " + c.numRows + "×" + c.numCols + " matrix");
        int m = a.numRows;
        Parallel.shared().forEach(Math.ceilDiv(m, ROWS_PER_TASK), task -> {
            int i0 = task * ROWS_PER_TASK, i1 = Math.min(m, i0 + ROWS_PER_TASK);
            for (int k0 = 0; k0 < a.numCols; k0 += K_SLAB)
                slab(alpha, a.data, b.data, c.data, a.numCols, b.numCols, i0, i1, k0, Math.min(a.numCols, k0 + K_SLAB));
        });
    }

    /** Rows [i0, i1) of C += α·A[:, k0..k1)·B[k0..k1, :]. */
    private static void slab(
            double alpha, double[] a, double[] b, double[] c, int inner, int n, int i0, int i1, int k0, int k1) {
        int width = 2 * S.length();
        int j = 0;
        for (; j + width <= n; j += width) {
            int i = i0;
            for (; i + 4 <= i1; i += 4) tile4(alpha, a, b, c, inner, n, i, j, k0, k1);
            for (; i < i1; i++) tile1(alpha, a, b, c, inner, n, i, j, k0, k1);
        }
        for (; j < n; j++) // the last columns, fewer than a tile
        for (int i = i0; i < i1; i++) {
                double s = 0;
                for (int k = k0; k < k1; k++) s += a[i * inner + k] * b[k * n + j];
                c[i * n + j] += alpha * s;
            }
    }

    private static void tile4(
            double alpha, double[] a, double[] b, double[] c, int inner, int n, int i, int j, int k0, int k1) {
        int step = S.length();
        DoubleVector c00 = DoubleVector.zero(S),
                c01 = c00,
                c10 = c00,
                c11 = c00,
                c20 = c00,
                c21 = c00,
                c30 = c00,
                c31 = c00;
        int a0 = i * inner, a1 = a0 + inner, a2 = a1 + inner, a3 = a2 + inner;
        for (int k = k0; k < k1; k++) {
            DoubleVector b0 = DoubleVector.fromArray(S, b, k * n + j),
                    b1 = DoubleVector.fromArray(S, b, k * n + j + step);
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + k]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = DoubleVector.broadcast(S, a[a1 + k]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = DoubleVector.broadcast(S, a[a2 + k]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = DoubleVector.broadcast(S, a[a3 + k]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
        }
        store(alpha, c00, c01, c, i * n + j);
        store(alpha, c10, c11, c, (i + 1) * n + j);
        store(alpha, c20, c21, c, (i + 2) * n + j);
        store(alpha, c30, c31, c, (i + 3) * n + j);
    }

    private static void tile1(
            double alpha, double[] a, double[] b, double[] c, int inner, int n, int i, int j, int k0, int k1) {
        int step = S.length();
        DoubleVector c0 = DoubleVector.zero(S), c1 = c0;
        for (int k = k0; k < k1; k++) {
            DoubleVector x = DoubleVector.broadcast(S, a[i * inner + k]);
            c0 = DoubleVector.fromArray(S, b, k * n + j).fma(x, c0);
            c1 = DoubleVector.fromArray(S, b, k * n + j + step).fma(x, c1);
        }
        store(alpha, c0, c1, c, i * n + j);
    }

    private static void store(double alpha, DoubleVector lo, DoubleVector hi, double[] c, int at) {
        DoubleVector.fromArray(S, c, at).add(lo.mul(alpha)).intoArray(c, at);
        DoubleVector.fromArray(S, c, at + S.length()).add(hi.mul(alpha)).intoArray(c, at + S.length());
    }
}
