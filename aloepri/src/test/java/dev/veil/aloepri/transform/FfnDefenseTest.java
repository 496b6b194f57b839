package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.key.KeyStream;
import org.junit.jupiter.api.Test;

class FfnDefenseTest {

    static FfnWeights random(int d, int ffn, KeyStream rng) {
        return new FfnWeights(
                Reference.random(ffn, d, 1 / Math.sqrt(d), rng),
                Reference.random(ffn, d, 1 / Math.sqrt(d), rng),
                Reference.random(d, ffn, 1 / Math.sqrt(ffn), rng));
    }

    @Test
    void splitUnitsShareTheGateRowAndSumBackExactly() {
        KeyStream rng = KeyStream.fromSeed("split");
        FfnWeights plain = random(32, 40, rng);
        FfnWeights split =
                FfnDefense.apply(plain, AloePriParams.defaults(32).withFfn(0, 0, 3), 1, rng.derive("defense"));
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
        FfnWeights down = FfnDefense.apply(plain, AloePriParams.defaults(64).withFfn(0.5, 0, 1), 4, rng.derive("a"));
        assertThat(down.gate()).isEqualTo(plain.gate());
        assertThat(down.up()).isEqualTo(plain.up());
        float[] diff = down.down().data().clone();
        for (int i = 0; i < diff.length; i++) diff[i] -= plain.down().data()[i];
        double sd = GaussianNoise.standardDeviation(plain.down().data());
        assertThat(GaussianNoise.standardDeviation(diff)).isCloseTo(0.5 * sd, within(0.05 * sd));
        FfnWeights gateUp = FfnDefense.apply(plain, AloePriParams.defaults(64).withFfn(0, 1, 1), 4, rng.derive("b"));
        assertThat(gateUp.down()).isEqualTo(plain.down());
        assertThat(gateUp.gate()).isNotEqualTo(plain.gate());
        assertThat(gateUp.up()).isNotEqualTo(plain.up());
        assertThat(FfnDefense.apply(plain, AloePriParams.paper(64), 4, rng.derive("c")))
                .isEqualTo(plain); // off at the paper's values
        // depth-scaled: a 16-layer model's layer gets α/4, the same draw scaled
        FfnWeights scaled = FfnDefense.apply(
                plain, AloePriParams.defaults(64).withFfn(2, 0, 1).withDepthScaled(true), 16, rng.derive("a"));
        for (int i = 0; i < diff.length; i++)
            assertThat(scaled.down().data()[i] - plain.down().data()[i]).isCloseTo(diff[i], within(1e-5f));
    }
}
