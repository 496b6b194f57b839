package dev.veil.engine.kernel;

import static dev.veil.engine.Close.assertClose;
import static dev.veil.model.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatMulTest {

    private static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);

    @AfterAll
    static void stop() {
        ONE.close();
        THREE.close();
    }

    private static Matrix random(String name, DType t, int rows, int cols, long seed) {
        return Matrix.of(Tensor.of(name, t, gaussian(rows * cols, seed), rows, cols));
    }

    /** out[t][r] in double over the matrices' widened elements. */
    private static double[] reference(float[] x, int n, Matrix... stack) {
        int cols = stack[0].cols(), rows = 0;
        for (Matrix m : stack) rows += m.rows();
        double[] out = new double[n * rows];
        for (int t = 0; t < n; t++) {
            int at = 0;
            for (Matrix m : stack) {
                for (int r = 0; r < m.rows(); r++) {
                    float[] row = m.row(r);
                    double s = 0;
                    for (int k = 0; k < cols; k++) s += (double) row[k] * x[t * cols + k];
                    out[t * rows + at + r] = s;
                }
                at += m.rows();
            }
        }
        return out;
    }

    /**
     * Shapes around the vector width and the blocked kernel's tiles (6 rows, 32 tokens, 24-row panels, 128-column
     * blocks), from one token (mat-vec) through small batches to several token groups with partial tiles everywhere.
     */
    @ParameterizedTest(name = "{0} {1}x{2} n={3}")
    @CsvSource({
        "F32, 37, 16, 1",
        "F16, 37, 16, 1",
        "BF16, 37, 16, 1",
        "F32, 64, 100, 1",
        "F16, 64, 100, 1",
        "BF16, 64, 100, 1",
        "F32, 50, 33, 2",
        "F16, 50, 33, 3",
        "BF16, 50, 33, 4",
        "F32, 35, 130, 5",
        "F16, 35, 130, 8",
        "BF16, 35, 130, 9",
        "F32, 3, 7, 6",
        "F16, 1, 1, 1",
        "BF16, 17, 256, 13",
        "F32, 50, 300, 40",
        "F16, 24, 129, 33",
        "BF16, 7, 16, 64",
        "F32, 97, 20, 70",
        "BF16, 33, 70, 3",
        "BF16, 5, 2, 1",
        "BF16, 9, 96, 7",
        // RowTiles (4 to 48 tokens of F32 or BF16): a 64-row block plus whole and partial 4-row tiles, column tails
        // past the last vector (F32 and BF16 pairs), token counts with and without single-token leftovers
        "F32, 70, 100, 6",
        "BF16, 70, 100, 6",
        "BF16, 133, 64, 16",
        "F32, 131, 48, 24",
        "BF16, 70, 100, 45",
        "BF16, 66, 1030, 23",
        "F32, 4, 16, 4",
        // Gemm (over 48 tokens): rows widened Gemm.WC columns at a time, a whole chunk and a tail
        "F32, 30, 1056, 50",
        "BF16, 27, 1030, 70"
    })
    void matchesDoubleReference(DType t, int rows, int cols, int n) {
        Matrix w = random("w", t, rows, cols, rows * 31L + cols);
        float[] x = gaussian(n * cols, n);
        double[] expected = reference(x, n, w);
        for (Parallel p : new Parallel[] {ONE, THREE}) {
            float[] out = new float[n * rows];
            MatMul.multiply(p, x, n, w, out);
            assertClose(out, expected, 1e-6, t + " " + rows + "x" + cols + " n=" + n + " threads=" + p.threads());
        }
    }

    /** Q, K and V as one stack: each token's outputs are the three products one after another. */
    @ParameterizedTest(name = "n={0}")
    @CsvSource({"1", "3", "7", "9", "16", "40"})
    void stackedMatricesConcatenatePerToken(int n) {
        Matrix q = random("q", DType.BF16, 24, 40, 1),
                k = random("k", DType.BF16, 8, 40, 2),
                v = random("v", DType.BF16, 8, 40, 3);
        float[] x = gaussian(n * 40, 4);
        float[] out = new float[n * 40];
        MatMul.multiply(THREE, x, n, new Matrix[] {q, k, v}, out);
        assertClose(out, reference(x, n, q, k, v), 1e-6, "stack");
    }

    /** Rows computed by the mat-vec path and by the batched path agree closely (they only sum in another order). */
    /** A stack of two types (no single kernel covers both): each part by its own type's kernel. */
    @ParameterizedTest(name = "n={0}")
    @CsvSource({"1", "8", "30"})
    void mixedTypeStack(int n) {
        Matrix a = random("a", DType.BF16, 20, 48, 5), b = random("b", DType.F32, 12, 48, 6);
        float[] x = gaussian(n * 48, 7);
        float[] out = new float[n * 32];
        MatMul.multiply(THREE, x, n, new Matrix[] {a, b}, out);
        assertClose(out, reference(x, n, a, b), 1e-6, "mixed stack");
    }

    @Test
    void batchedRowsEqualMatVecRows() {
        Matrix w = random("w", DType.F16, 48, 200, 5);
        int n = MatMul.GEMM_MIN_TOKENS + 1;
        float[] x = gaussian(n * 200, 6);
        float[] batched = new float[n * 48];
        MatMul.multiply(THREE, x, n, w, batched);
        for (int t = 0; t < n; t++) {
            float[] one = new float[48];
            MatMul.multiply(THREE, Arrays.copyOfRange(x, t * 200, (t + 1) * 200), 1, w, one);
            for (int r = 0; r < 48; r++)
                assertThat(batched[t * 48 + r]).isCloseTo(one[r], org.assertj.core.data.Offset.offset(1e-4f));
        }
    }

    @Test
    void badArgumentsFailClearly() {
        Matrix a = random("a", DType.F32, 4, 8, 1), b = random("b", DType.F32, 4, 9, 2);
        assertThatThrownBy(() -> MatMul.multiply(ONE, new float[8], 1, new Matrix[] {a, b}, new float[8]))
                .hasMessage("stacked matrices a and b differ in columns (8 vs 9)");
        assertThatThrownBy(() -> MatMul.multiply(ONE, new float[7], 1, a, new float[4]))
                .hasMessage("input holds 7 floats, fewer than 1 rows of 8");
        assertThatThrownBy(() -> MatMul.multiply(ONE, new float[16], 2, a, new float[4]))
                .hasMessage("output holds 4 floats, fewer than 2 rows of 4");
        assertThatThrownBy(() -> Matrix.of(Tensor.ofFloats("v", new float[4], 4)))
                .hasMessage("tensor v has shape [4]; a weight matrix must be 2-D");
    }
}
