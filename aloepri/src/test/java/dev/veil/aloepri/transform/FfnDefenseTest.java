package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.FfnNoiseProfile;
import dev.veil.aloepri.key.KeyStream;
import org.junit.jupiter.api.Test;

class FfnDefenseTest {

    static FfnWeights random(int d, int ffn, KeyStream rng) {
        return new FfnWeights(
                Reference.random(ffn, d, 1 / Math.sqrt(d), rng),
                Reference.random(ffn, d, 1 / Math.sqrt(d), rng),
                Reference.random(d, ffn, 1 / Math.sqrt(ffn), rng));
    }

    /** {@code plain} (width d) under Veil's defaults for d with these FFN settings, in a model of {@code layers} layers. */
    static FfnWeights defended(
            FfnWeights plain, double alphaDown, double alphaGateUp, int split, int layers, KeyStream rng) {
        AloePriParams p = AloePriParams.defaults(plain.gate().cols()).withFfn(alphaDown, alphaGateUp, split);
        return FfnDefense.apply(plain, p, layers, null, rng);
    }

    @Test
    void splitUnitsShareTheGateRowAndSumBackExactly() {
        KeyStream rng = KeyStream.fromSeed("split");
        FfnWeights plain = random(32, 40, rng);
        FfnWeights split = defended(plain, 0, 0, 3, 1, rng.derive("defense"));
        assertThat(split.gate().rows()).isEqualTo(120);
        assertThat(split.down().cols()).isEqualTo(120);
        for (int j = 0; j < 32; j++)
            assertThat(split.gate().get(7, j)).isEqualTo(plain.gate().get(2, j)); // unit 7 = part 1 of unit 2
        WeightMatrix x = Reference.random(6, 32, 1, rng);
        assertThat(Reference.relativeError(Reference.ffn(x, split), Reference.ffn(x, plain)))
                .isLessThan(1e-5);
        // the parts' down columns look nothing like the unit's: the sorted-row signature of head·W_down is gone
        double dot = 0, na = 0, nb = 0;
        for (int r = 0; r < 32; r++) {
            dot += split.down().get(r, 6) * plain.down().get(r, 2);
            na += split.down().get(r, 6) * split.down().get(r, 6);
            nb += plain.down().get(r, 2) * plain.down().get(r, 2);
        }
        assertThat(Math.abs(dot / Math.sqrt(na * nb))).isLessThan(0.6);
    }

    @Test
    void noiseHasTheRequestedScaleAndTouchesOnlyItsMatrices() {
        KeyStream rng = KeyStream.fromSeed("noise");
        FfnWeights plain = random(64, 128, rng);
        FfnWeights down = defended(plain, 0.5, 0, 1, 4, rng.derive("a"));
        assertThat(down.gate()).isEqualTo(plain.gate());
        assertThat(down.up()).isEqualTo(plain.up());
        float[] diff = down.down().data().clone();
        for (int i = 0; i < diff.length; i++) diff[i] -= plain.down().data()[i];
        double sd = GaussianNoise.standardDeviation(plain.down().data());
        assertThat(GaussianNoise.standardDeviation(diff)).isCloseTo(0.5 * sd, within(0.05 * sd));
        FfnWeights gateUp = defended(plain, 0, 1, 1, 4, rng.derive("b"));
        assertThat(gateUp.down()).isEqualTo(plain.down());
        assertThat(gateUp.gate()).isNotEqualTo(plain.gate());
        assertThat(gateUp.up()).isNotEqualTo(plain.up());
        assertThat(FfnDefense.apply(plain, AloePriParams.paper(64), 4, null, rng.derive("c")))
                .isEqualTo(plain); // off at the paper's values
        // depth-scaled: a 16-layer model's layer gets α/4, the same draw scaled
        FfnWeights scaled = FfnDefense.apply(
                plain, AloePriParams.defaults(64).withFfn(2, 0, 1).withDepthScaled(true), 16, null, rng.derive("a"));
        for (int i = 0; i < diff.length; i++)
            assertThat(scaled.down().data()[i] - plain.down().data()[i]).isCloseTo(diff[i], within(1e-5f));
    }

    /**
     * Activations with a spread spectrum (a = z·B, z ~ N(0, I_r), r = 12 of 96 units, plus a little isotropic noise):
     * at the same Frobenius norm, the activation profile's output error on them is a small fraction of i.i.d. noise's,
     * yet every unit's down column still moves.
     */
    @Test
    void activationNoiseCostsLessOutputErrorThanGaussianAtTheSameNorm() {
        KeyStream rng = KeyStream.fromSeed("activation");
        int d = 48, w = 96, n = 2000, r = 12;
        FfnWeights plain = random(d, w, rng);
        WeightMatrix basis = Reference.random(r, w, 1, rng);
        WeightMatrix a = Reference.random(n, r, 1, rng).times(basis);
        WeightMatrix iso = Reference.random(n, w, 0.05, rng);
        float[] acts = a.data().clone();
        for (int i = 0; i < acts.length; i++) acts[i] += iso.data()[i];
        WeightMatrix x = new WeightMatrix(n, w, acts);
        double[] moment = new double[w * w];
        for (int t = 0; t < n; t++)
            for (int i = 0; i < w; i++)
                for (int j = 0; j < w; j++) moment[i * w + j] += (double) acts[t * w + i] * acts[t * w + j] / n;

        WeightMatrix shaped = FfnDefense.shapedNoise(plain.down(), 1, moment, rng.derive("shaped"));
        WeightMatrix iid = GaussianNoise.draw(
                d, w, GaussianNoise.standardDeviation(plain.down().data()), rng.derive("iid"));
        double frobShaped = sumSq(shaped.data()), frobIid = sumSq(iid.data());
        assertThat(frobShaped / frobIid).isBetween(0.85, 1.15); // the same norm, up to the draw
        double errShaped = sumSq(x.timesTransposed(shaped).data()) / frobShaped,
                errIid = sumSq(x.timesTransposed(iid).data()) / frobIid;
        System.out.printf(
                "[ffn-defense] output error per unit of noise norm: activation %.4g, gaussian %.4g%n",
                errShaped, errIid);
        assertThat(errShaped).isLessThan(0.1 * errIid);
        double mean = frobShaped / w;
        for (int c = 0; c < w; c++) {
            double col = 0;
            for (int row = 0; row < d; row++) col += shaped.get(row, c) * shaped.get(row, c);
            assertThat(col).as("column %d", c).isGreaterThan(0.2 * mean);
        }
        // the option end to end: the profile shapes the W_down noise, and refuses to run without the activations
        AloePriParams p = AloePriParams.paper(64).withFfn(1, 0, 1).withFfnNoise(FfnNoiseProfile.ACTIVATION);
        FfnWeights viaApply = FfnDefense.apply(plain, p, 4, moment, rng.derive("apply"));
        assertThat(viaApply.gate()).isEqualTo(plain.gate());
        assertThat(viaApply.down()).isNotEqualTo(plain.down());
        assertThatThrownBy(() -> FfnDefense.apply(plain, p, 4, null, rng.derive("apply")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs the FFN activations");
        assertThatThrownBy(() -> FfnNoiseProfile.parse("whitened"))
                .hasMessageContaining("unknown FFN noise profile 'whitened'")
                .hasMessageContaining("activation");
        assertThatThrownBy(() -> p.withAlphaRouter(-1)).hasMessageContaining("alpha-router must be >= 0");
    }

    private static double sumSq(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return s;
    }
}
