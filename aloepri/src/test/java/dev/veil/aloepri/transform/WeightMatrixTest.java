package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.key.KeyStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatrixTest {

    @ParameterizedTest(name = "{0}x{1} · ({2}x{1})ᵀ")
    @CsvSource({"1,1,1", "3,5,7", "33,17,65", "64,130,70", "5,16,4"})
    void timesTransposedMatchesTheDefinition(int m, int k, int n) {
        KeyStream rng = KeyStream.fromSeed("mm");
        WeightMatrix a = Reference.random(m, k, 1, rng), b = Reference.random(n, k, 1, rng);
        WeightMatrix c = a.timesTransposed(b);
        assertThat(Reference.relativeError(c, Reference.linear(a, b, null))).isLessThan(1e-5);
        assertThat(Reference.relativeError(a.times(b.transpose()), c)).isLessThan(1e-6);
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1,1", "1,40", "70,45", "64,96"})
    void transposeMovesEveryEntry(int rows, int cols) {
        WeightMatrix a = Reference.random(rows, cols, 1, KeyStream.fromSeed("t"));
        WeightMatrix t = a.transpose();
        assertThat(t.rows()).isEqualTo(cols);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) assertThat(t.get(c, r)).isEqualTo(a.get(r, c));
    }
}
