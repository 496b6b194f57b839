package dev.veil.train.nn.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatmulTest {

    @ParameterizedTest
    @CsvSource({"1,1,1", "4,16,32", "7,33,70", "64,256,96", "130,5,3"})
    void matchesTheDefinitionAndAccumulates(int m, int k, int n) {
        Random rnd = new Random(m * 1000 + k * 10 + n);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < c.length; i++) c[i] = (float) rnd.nextGaussian();
        float[] acc = c.clone();
        Matmul.multiply(c, a, b, m, k, n, false);
        Matmul.multiply(acc, a, b, m, k, n, true);
        Random again = new Random(m * 1000 + k * 10 + n);
        for (int i = 0; i < m * k + k * n; i++) again.nextGaussian();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
                double before = again.nextGaussian();
                double tol = 1e-5 * Math.sqrt(k) * 4;
                assertThat((double) c[i * n + j]).isCloseTo(s, org.assertj.core.data.Offset.offset(tol));
                assertThat((double) acc[i * n + j])
                        .isCloseTo(s + (float) before, org.assertj.core.data.Offset.offset(tol));
            }
    }

    @ParameterizedTest
    @CsvSource({"3,5", "32,64", "33,70"})
    void transposes(int rows, int cols) {
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = i;
        float[] t = VecOps.transpose(a, rows, cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) assertThat(t[c * rows + r]).isEqualTo(a[r * cols + c]);
    }
}
