package dev.veil.engine.kernel;

import static dev.veil.model.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The float-array product {@link Gemm#multiply(Parallel, int, int, int, float[], int, int, boolean, float[], int, int, boolean, float[], int, int, boolean)}. */
class GemmTest {
    private static final Parallel THREE = new Parallel(3);

    @AfterAll
    static void stop() {
        THREE.close();
    }

    /**
     * Both micro-tiles, whichever of them this machine's {@link Gemm#MR} picks: each sum is the fused multiply-add
     * chain over k in order, bit for bit, on strided rows and accumulators that start from non-zero values.
     */
    @ParameterizedTest
    @CsvSource({"6, 1", "6, 37", "12, 1", "12, 130"})
    void bothMicroTilesAreTheFusedChainInOrder(int rows, int kc) {
        int ws = kc + 3, accStride = Gemm.NT + 5, wOff = 2, xOff = 3 * Gemm.NT, accOff = 1;
        float[] w = gaussian(wOff + rows * ws, rows * 7L + kc);
        float[] x = gaussian(xOff + kc * Gemm.NT, kc);
        float[] start = gaussian(accOff + rows * accStride, rows + kc);
        float[] acc = start.clone();
        if (rows == 6) Gemm.microTile6(w, wOff, ws, kc, x, xOff, acc, accOff, accStride);
        else Gemm.microTile12(w, wOff, ws, kc, x, xOff, acc, accOff, accStride);
        float[] expected = start.clone();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < Gemm.NT; j++) {
                int at = accOff + i * accStride + j;
                for (int k = 0; k < kc; k++)
                    expected[at] = Math.fma(w[wOff + i * ws + k], x[xOff + k * Gemm.NT + j], expected[at]);
            }
        assertThat(acc).isEqualTo(expected);
    }

    /**
     * Every orientation, on strided views inside larger arrays (offsets, leading dimensions wider than the view),
     * with edges in both m and n: the definition in double, the accumulating form adds to C, the elements of C
     * outside the view stay as they were, and one thread gives the same bits as three.
     */
    @ParameterizedTest
    @CsvSource({
        "1,1,1,false,false",
        "6,32,128,false,false",
        "7,33,129,true,false",
        "25,70,300,false,true",
        "50,5,3,true,true",
        "64,96,256,false,true",
        "13,40,1,true,false",
        "200,70,130,true,false"
    })
    void matchesTheDefinitionInEveryOrientation(int m, int n, int k, boolean transA, boolean transB) {
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2, aOff = 7, bOff = 11, cOff = 4;
        float[] a = gaussian(aOff + (transA ? k : m) * lda, m * 31L + k);
        float[] b = gaussian(bOff + (transB ? n : k) * ldb, n * 17L + k);
        float[] c0 = gaussian(cOff + m * ldc + 9, m + n + k);
        float[] set = c0.clone(), acc = c0.clone(), serial = c0.clone();
        Gemm.multiply(THREE, m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, set, cOff, ldc, false);
        Gemm.multiply(THREE, m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, acc, cOff, ldc, true);
        Gemm.multiply(null, m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, serial, cOff, ldc, true);
        assertThat(serial).isEqualTo(acc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double y = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                int at = cOff + i * ldc + j;
                double tol = 1e-6 * (abs + 1);
                assertThat((double) set[at])
                        .as("C[%d][%d]", i, j)
                        .isCloseTo(s, org.assertj.core.data.Offset.offset(tol));
                assertThat((double) acc[at]).isCloseTo(s + c0[at], org.assertj.core.data.Offset.offset(tol + 1e-6));
                set[at] = acc[at] = c0[at]; // mark as checked
            }
        assertThat(set).as("outside the view").isEqualTo(c0);
        assertThat(acc).as("outside the view").isEqualTo(c0);
    }

    @org.junit.jupiter.api.Test
    void refusesAViewThatDoesNotFit() {
        float[] a = new float[12], b = new float[12], c = new float[8];
        assertThatThrownBy(() -> Gemm.multiply(null, 3, 3, 4, a, 0, 4, false, b, 0, 3, false, c, 0, 3, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gemm: C (3×3 from offset 0, leading dimension 3) does not fit in 8 floats");
    }
}
