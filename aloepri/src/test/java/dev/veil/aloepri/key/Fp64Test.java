package dev.veil.aloepri.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.MatrixFeatures_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fp64 kernels of key generation against EJML's plain implementations. */
class DenseTest {

    @ParameterizedTest(name = "{0}x{1} times {1}x{2}")
    @CsvSource({"1,1,1", "3,5,7", "37,300,45", "130,129,161"})
    void gemmMatchesEjml(int m, int k, int n) {
        KeyStream rng = KeyStream.fromSeed("gemm" + m);
        DMatrixRMaj a = Fp64.gaussian(m, k, 1, rng), b = Fp64.gaussian(k, n, 1, rng), c = Fp64.gaussian(m, n, 1, rng);
        DMatrixRMaj expected = c.copy();
        CommonOps_DDRM.multAdd(-0.5, a, b, expected);
        Fp64Gemm.multiplyAdd(-0.5, a, b, c);
        assertThat(MatrixFeatures_DDRM.isIdentical(c, expected, 1e-11)).isTrue();
    }

    @ParameterizedTest(name = "n={0} lambda={1}")
    @CsvSource({"5,0.3", "64,0.3", "150,0.3", "150,3.0", "200,1.0"})
    void inverseOfAKeyBaseMatrix(int n, double lambda) {
        // B = U + λV, the matrix Algorithm 1 inverts; several 64-row blocks when n > 64
        KeyStream rng = KeyStream.fromSeed("inv" + n + lambda);
        DMatrixRMaj b = Fp64.haarOrthogonal(n, rng);
        CommonOps_DDRM.addEquals(b, lambda, Fp64.gaussian(n, n, 1.0 / n, rng));
        DMatrixRMaj inv = Fp64.inverse(b);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(b, inv))).isLessThan(1e-10);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(inv, b))).isLessThan(1e-10);
    }

    @Test
    void haarMatricesLargerThanOneBlockAreOrthogonal() {
        DMatrixRMaj q = Fp64.haarOrthogonal(200, KeyStream.fromSeed("haar200"));
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(q, Fp64.transpose(q))))
                .isLessThan(1e-13);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(Fp64.transpose(q), q)))
                .isLessThan(1e-13);
    }

    @Test
    void singularMatricesAreRefused() {
        DMatrixRMaj m = Fp64.gaussian(80, 80, 1, KeyStream.fromSeed("sing"));
        for (int j = 0; j < 80; j++) m.set(70, j, 2 * m.get(3, j) - m.get(40, j)); // row 70 depends on rows 3 and 40
        assertThatThrownBy(() -> Fp64.inverse(m)).hasMessageContaining("singular (row 70)");
    }
}
