package dev.veil.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.veil.model.ModelConfig.RopeScaling;
import org.junit.jupiter.api.Test;

class RopeTest {

    /**
     * Llama 3.1's published scaling (factor 8, low 1, high 4, original context 8192, theta 500000, head_dim 128):
     * each frequency against the piecewise formula written out, band by band.
     */
    @Test
    void llama3ScalingFollowsThePiecewiseFormula() {
        RopeScaling s = new RopeScaling(8, 1, 4, 8192);
        double[] f = new Rope(128, 500000, s).inverseFrequencies();
        int high = 0, low = 0, medium = 0;
        for (int j = 0; j < 64; j++) {
            double base = Math.pow(500000, -2.0 * j / 128);
            double wavelen = 2 * Math.PI / base;
            double expected;
            if (wavelen < 8192 / 4.0) {
                expected = base;
                high++;
            } else if (wavelen > 8192 / 1.0) {
                expected = base / 8;
                low++;
            } else {
                double smooth = (8192 / wavelen - 1) / (4 - 1);
                expected = (1 - smooth) * base / 8 + smooth * base;
                medium++;
            }
            assertThat(f[j]).as("inv_freq[%d]", j).isCloseTo(expected, within(1e-15 * expected + 1e-300));
        }
        assertThat(high).isPositive();
        assertThat(medium).isPositive();
        assertThat(low).isPositive();
        // spot values: the first frequency is 1, the last is divided by the factor
        assertThat(f[0]).isEqualTo(1.0);
        assertThat(f[63]).isCloseTo(Math.pow(500000, -126.0 / 128) / 8, within(1e-18));
    }

    @Test
    void withoutScalingFrequenciesAreThetaPowers() {
        double[] f = new Rope(8, 10000, null).inverseFrequencies();
        assertThat(f).containsExactly(1.0, Math.pow(10000, -0.25), Math.pow(10000, -0.5), Math.pow(10000, -0.75));
    }

    /** rotate_half pairs dimension j with j + d/2 and turns each pair by position × inv_freq[j]. */
    @Test
    void rotatesPairsAcrossTheTwoHalves() {
        Rope rope = new Rope(8, 10000, null);
        double[] f = rope.inverseFrequencies();
        float[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        Rope.Table table = rope.table(5, 3);
        table.rotate(v, 1, 2); // position 7, head vector at offset 1
        float[] orig = {2, 3, 4, 5, 6, 7, 8, 9};
        for (int j = 0; j < 4; j++) {
            double angle = 7 * f[j];
            double a = orig[j], b = orig[j + 4];
            assertThat((double) v[1 + j]).isCloseTo(a * Math.cos(angle) - b * Math.sin(angle), within(1e-5));
            assertThat((double) v[5 + j]).isCloseTo(b * Math.cos(angle) + a * Math.sin(angle), within(1e-5));
        }
        assertThat(v[0]).isEqualTo(1);
        assertThat(v[9]).isEqualTo(10);
    }

    @Test
    void positionZeroIsTheIdentity() {
        float[] v = {0.5f, -1, 2, 3};
        new Rope(4, 10000, null).table(0, 1).rotate(v, 0, 0);
        assertThat(v).containsExactly(0.5f, -1, 2, 3);
    }
}
