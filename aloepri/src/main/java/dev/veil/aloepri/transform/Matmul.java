package dev.veil.aloepri.transform;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A·Bᵀ for row-major float matrices (every key product of the compiler has this shape: both operands
 * are read along their rows). A 2×4 register tile with Vector API FMAs, tiled over B so a slice of B stays
 * in cache while a block of A's rows passes over it, parallel over A's row blocks. Sums in float, like the
 * engines that will run the result.
 */
final class Matmul {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int A_BLOCK = 32;
    private static final int B_BLOCK = 64;

    private Matmul() {}

    /** {@code c[m×n] = a[m×k] · b[n×k]ᵀ}. */
    static float[] multiplyTransposed(float[] a, int m, int k, float[] b, int n) {
        float[] c = new float[Math.multiplyExact(m, n)];
        int blocks = (m + A_BLOCK - 1) / A_BLOCK;
        IntStream.range(0, blocks).parallel().forEach(blk -> {
            int i0 = blk * A_BLOCK, i1 = Math.min(m, i0 + A_BLOCK);
            for (int j0 = 0; j0 < n; j0 += B_BLOCK) {
                int j1 = Math.min(n, j0 + B_BLOCK);
                for (int i = i0; i < i1; i += 2) {
                    int iB = Math.min(i + 1, i1 - 1);
                    int j = j0;
                    for (; j + 3 < j1; j += 4) tile2x4(a, i, iB, b, j, k, c, n);
                    for (; j < j1; j++) {
                        c[i * n + j] = dot(a, i * k, b, j * k, k);
                        if (iB != i) c[iB * n + j] = dot(a, iB * k, b, j * k, k);
                    }
                }
            }
        });
        return c;
    }

    private static void tile2x4(float[] a, int i0, int i1, float[] b, int j, int k, float[] c, int n) {
        int a0 = i0 * k, a1 = i1 * k, b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        int p = 0, bound = S.loopBound(k);
        for (; p < bound; p += S.length()) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p), x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector y0 = FloatVector.fromArray(S, b, b0 + p), y1 = FloatVector.fromArray(S, b, b1 + p);
            FloatVector y2 = FloatVector.fromArray(S, b, b2 + p), y3 = FloatVector.fromArray(S, b, b3 + p);
            s00 = x0.fma(y0, s00); s01 = x0.fma(y1, s01); s02 = x0.fma(y2, s02); s03 = x0.fma(y3, s03);
            s10 = x1.fma(y0, s10); s11 = x1.fma(y1, s11); s12 = x1.fma(y2, s12); s13 = x1.fma(y3, s13);
        }
        float r00 = s00.reduceLanes(VectorOperators.ADD), r01 = s01.reduceLanes(VectorOperators.ADD);
        float r02 = s02.reduceLanes(VectorOperators.ADD), r03 = s03.reduceLanes(VectorOperators.ADD);
        float r10 = s10.reduceLanes(VectorOperators.ADD), r11 = s11.reduceLanes(VectorOperators.ADD);
        float r12 = s12.reduceLanes(VectorOperators.ADD), r13 = s13.reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) {
            float x0 = a[a0 + p], x1 = a[a1 + p];
            r00 += x0 * b[b0 + p]; r01 += x0 * b[b1 + p]; r02 += x0 * b[b2 + p]; r03 += x0 * b[b3 + p];
            r10 += x1 * b[b0 + p]; r11 += x1 * b[b1 + p]; r12 += x1 * b[b2 + p]; r13 += x1 * b[b3 + p];
        }
        int c0 = i0 * n + j, c1 = i1 * n + j;
        c[c0] = r00; c[c0 + 1] = r01; c[c0 + 2] = r02; c[c0 + 3] = r03;
        if (i1 != i0) {
            c[c1] = r10; c[c1 + 1] = r11; c[c1 + 2] = r12; c[c1 + 3] = r13;
        }
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int k) {
        FloatVector s = FloatVector.zero(S);
        int p = 0, bound = S.loopBound(k);
        for (; p < bound; p += S.length()) s = FloatVector.fromArray(S, a, ao + p).fma(FloatVector.fromArray(S, b, bo + p), s);
        float r = s.reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) r += a[ao + p] * b[bo + p];
        return r;
    }
}
