package dev.veil.aloepri.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.MatrixFeatures_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyMatricesTest {

    @ParameterizedTest(name = "d={0} h={1} lambda={2}")
    @CsvSource({"64,16,0.3", "48,0,0.3", "40,8,1.0", "32,32,3.0"})
    void everyWriterKeyInvertsEveryReaderKey(int d, int h, double lambda) {
        KeyStream rng = KeyStream.fromSeed("keys-" + d + "-" + h);
        KeyMatrices keys = KeyMatrices.generate(d, h, lambda, rng);
        List<DMatrixRMaj> writers = new ArrayList<>(), readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            writers.add(keys.writerKey(rng.derive("w" + i)));
            readers.add(keys.readerKey(rng.derive("r" + i)));
        }
        assertThat(writers.getFirst().numRows).isEqualTo(d);
        assertThat(writers.getFirst().numCols).isEqualTo(d + 2 * h);
        assertThat(readers.getFirst().numRows).isEqualTo(d + 2 * h);
        assertThat(readers.getFirst().numCols).isEqualTo(d);
        for (DMatrixRMaj p : writers)
            for (DMatrixRMaj q : readers)
                assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(p, q))).isLessThan(1e-10);
        if (h > 0)
            assertThat(MatrixFeatures_DDRM.isIdentical(writers.get(0), writers.get(1), 1e-3))
                    .isFalse();
    }

    @Test
    void writerAndReaderKeysAreAlgorithmOneLiterally() {
        int d = 24, h = 8;
        KeyMatrices keys = KeyMatrices.generate(d, h, 0.3, KeyStream.fromSeed("literal"));
        KeyStream seedC = KeyStream.fromSeed("c"), seedD = KeyStream.fromSeed("d");
        DMatrixRMaj p = keys.writerKey(KeyStream.fromSeed("c"));
        DMatrixRMaj q = keys.readerKey(KeyStream.fromSeed("d"));
        DMatrixRMaj c = keys.freshC(seedC), dd = keys.freshD(seedD);

        DMatrixRMaj bce = new DMatrixRMaj(d, d + 2 * h);
        CommonOps_DDRM.insert(keys.b(), bce, 0, 0);
        CommonOps_DDRM.insert(c, bce, 0, d);
        CommonOps_DDRM.insert(keys.e(), bce, 0, d + h);
        assertThat(MatrixFeatures_DDRM.isIdentical(p, Fp64.mult(bce, keys.z()), 1e-12))
                .isTrue();

        DMatrixRMaj stacked = new DMatrixRMaj(d + 2 * h, d);
        CommonOps_DDRM.insert(Fp64.inverse(keys.b()), stacked, 0, 0);
        CommonOps_DDRM.insert(keys.f(), stacked, d, 0);
        CommonOps_DDRM.insert(dd, stacked, d + h, 0);
        assertThat(MatrixFeatures_DDRM.isIdentical(q, Fp64.mult(Fp64.transpose(keys.z()), stacked), 1e-12))
                .isTrue();

        // CF = 0, ED = 0, E and F of rank h/2, Z orthogonal
        assertThat(CommonOps_DDRM.elementMaxAbs(Fp64.mult(c, keys.f()))).isLessThan(1e-13);
        assertThat(CommonOps_DDRM.elementMaxAbs(Fp64.mult(keys.e(), dd))).isLessThan(1e-13);
        assertThat(CommonOps_DDRM.elementMaxAbs(c)).isGreaterThan(1e-3);
        assertThat(SingularOps_DDRM.rank(keys.e().copy(), 1e-9)).isEqualTo(h / 2);
        assertThat(SingularOps_DDRM.rank(keys.f().copy(), 1e-9)).isEqualTo(h / 2);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(Fp64.transpose(keys.z()), keys.z())))
                .isLessThan(1e-12);
    }

    @Test
    void residualStreamOfManyWritersReadsBackThroughAnyReader() {
        // Lemma 10: x1·P̂1 + x2·P̂2 + x3·P̂3 read by a fresh Q̂ is x1 + x2 + x3.
        int d = 32, h = 8;
        KeyStream rng = KeyStream.fromSeed("lemma10");
        KeyMatrices keys = KeyMatrices.generate(d, h, 0.3, rng);
        DMatrixRMaj sum = new DMatrixRMaj(1, d), obfuscated = new DMatrixRMaj(1, d + 2 * h);
        for (int i = 0; i < 3; i++) {
            DMatrixRMaj x = Fp64.gaussian(1, d, 1.0, rng);
            CommonOps_DDRM.addEquals(sum, x);
            CommonOps_DDRM.addEquals(obfuscated, Fp64.mult(x, keys.writerKey(rng)));
        }
        DMatrixRMaj read = Fp64.mult(obfuscated, keys.readerKey(rng));
        assertThat(MatrixFeatures_DDRM.isIdentical(read, sum, 1e-12)).isTrue();
    }

    @Test
    void theSameSeedGivesTheSameKeys() {
        DMatrixRMaj a =
                KeyMatrices.generate(16, 4, 0.3, KeyStream.fromSeed("s")).writerKey(KeyStream.fromSeed("w"));
        DMatrixRMaj b =
                KeyMatrices.generate(16, 4, 0.3, KeyStream.fromSeed("s")).writerKey(KeyStream.fromSeed("w"));
        DMatrixRMaj c =
                KeyMatrices.generate(16, 4, 0.3, KeyStream.fromSeed("t")).writerKey(KeyStream.fromSeed("w"));
        assertThat(a.data).containsExactly(b.data);
        assertThat(MatrixFeatures_DDRM.isIdentical(a, c, 1e-3)).isFalse();
    }

    @Test
    void haarOrthogonalIsOrthogonalWithUnbiasedSigns() {
        KeyStream rng = KeyStream.fromSeed("haar");
        DMatrixRMaj q = Fp64.haarOrthogonal(20, rng);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(Fp64.transpose(q), q)))
                .isLessThan(1e-13);
        // E[Q_00] = 0 for Haar; without the sign fix Householder QR biases the diagonal.
        double mean = 0;
        int n = 400;
        for (int i = 0; i < n; i++) mean += Fp64.haarOrthogonal(4, rng).get(0, 0) / n;
        assertThat(Math.abs(mean)).isLessThan(0.1);
    }

    @Test
    void badParametersAreRefused() {
        KeyStream rng = KeyStream.fromSeed("bad");
        assertThatThrownBy(() -> KeyMatrices.generate(16, 3, 0.3, rng)).hasMessageContaining("h must be even");
        assertThatThrownBy(() -> KeyMatrices.generate(16, 4, 0.0, rng)).hasMessageContaining("lambda must be > 0");
        assertThatThrownBy(() -> KeyMatrices.generate(16, 4, -1, rng)).hasMessageContaining("lambda must be > 0");
        assertThatThrownBy(() -> KeyMatrices.generate(0, 4, 0.3, rng)).hasMessageContaining("d must be positive");
    }
}
