package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NormTest {

    @Test
    void foldedNormWeightGivesTheSameLinearOutput() {
        KeyStream rng = KeyStream.fromSeed("fold");
        WeightMatrix x = Reference.rmsNormalize(Reference.random(4, 32, 3, rng), 1e-6);
        float[] gamma = Reference.randomVector(32, 1, rng);
        WeightMatrix w = Reference.random(20, 32, 0.2, rng);
        WeightMatrix weighted = x.scaleColumns(gamma);
        assertThat(Reference.relativeError(
                        Reference.linear(x, NormFolding.fold(gamma, w), null), Reference.linear(weighted, w, null)))
                .isLessThan(1e-6);
    }

    @Test
    void kappaCalibratedOnATokenMakesItsNormExact() {
        KeyStream rng = KeyStream.fromSeed("kappa1");
        KeyMatrices keys = KeyMatrices.generate(64, 16, 0.3, rng);
        WeightMatrix x = Reference.random(1, 64, 2, rng);
        WeightMatrix xObf = x.times(WeightMatrix.of(keys.writerKey(rng)));
        double kappa = Kappa.fromResiduals(x.data(), xObf.data(), 1);
        WeightMatrix obfNormed = Reference.rmsNormalize(xObf, 0).scaleColumns(Kappa.normWeight(kappa, 96));
        WeightMatrix read = obfNormed.times(WeightMatrix.of(keys.readerKey(rng)));
        assertThat(Reference.relativeError(read, Reference.rmsNormalize(x, 0))).isLessThan(1e-5);
    }

    @Test
    void gaussianKappaLeavesAFewPercentNormErrorOnGaussianResiduals() {
        KeyStream rng = KeyStream.fromSeed("kappa");
        int d = 128, h = 16, n = 300;
        KeyMatrices keys = KeyMatrices.generate(d, h, 0.3, rng);
        double kappa = Kappa.gaussian(keys, 500, rng);
        // two writers into the residual, read by a third key
        WeightMatrix x = Reference.random(n, d, 1, rng), y = Reference.random(n, d, 1, rng);
        WeightMatrix r = add(x, y),
                rObf =
                        add(
                                x.times(WeightMatrix.of(keys.writerKey(rng))),
                                y.times(WeightMatrix.of(keys.writerKey(rng))));
        WeightMatrix read = Reference.rmsNormalize(rObf, 0)
                .scaleColumns(Kappa.normWeight(kappa, d + 2 * h))
                .times(WeightMatrix.of(keys.readerKey(rng)));
        WeightMatrix plain = Reference.rmsNormalize(r, 0);
        double meanScaleError = 0;
        for (int t = 0; t < n; t++) meanScaleError += Math.abs(Kappa.rms(read.data(), t * d, d) - 1) / n;
        // direction is exact: only the per-token scale is off
        assertThat(Reference.relativeError(
                        read.rowRange(0, 1).scaleColumns(fill(d, (float) (1 / Kappa.rms(read.data(), 0, d)))),
                        plain.rowRange(0, 1)))
                .isLessThan(1e-5);
        assertThat(meanScaleError).isLessThan(0.1);
        System.out.printf(
                "Gaussian kappa %.4f, mean |scale error| over %d two-writer residuals: %.4f%n",
                kappa, n, meanScaleError);
    }

    private static WeightMatrix add(WeightMatrix a, WeightMatrix b) {
        float[] s = a.data().clone();
        for (int i = 0; i < s.length; i++) s[i] += b.data()[i];
        return new WeightMatrix(a.rows(), a.cols(), s);
    }

    private static float[] fill(int n, float v) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }
}
