package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.kernel.Rope;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockPermutationTest {

    /** head_dim 128, rope_theta 1e4: θ_j = 1e4^(−j/64). */
    private static final double[] INV =
            Rope.of(AttentionTransformTest.config(128, 1, 1, 128, false)).inverseFrequencies();

    @Test
    void betaOneIsTheIdentity() {
        assertThat(BlockPermutation.sample(INV, 1, 1e3, KeyStream.fromSeed("b1")))
                .containsExactly(IntStream.range(0, 64).toArray());
    }

    @Test
    void defaultsKeepHighFrequenciesAndShuffleTheLowFrequencyTailInWindows() {
        KeyStream rng = KeyStream.fromSeed("windows");
        int movedHigh = 0, movedLow = 0;
        for (int s = 0; s < 200; s++) {
            int[] p = BlockPermutation.sample(INV, 8, 1e3, rng);
            assertThat(Arrays.stream(p).sorted().toArray())
                    .containsExactly(IntStream.range(0, 64).toArray());
            for (int j = 0; j < 64; j++) {
                assertThat(Math.abs(p[j] - j)).isLessThan(8);
                if (p[j] != j) {
                    if (INV[j] > 0.1) movedHigh++;
                    if (INV[j] < 1e-3) movedLow++;
                }
            }
        }
        // above θ = 0.1 neighbours differ by > 0.013 (γΔθ > 13, odds e^-13): never mixed.
        assertThat(movedHigh).isZero();
        assertThat(movedLow).isGreaterThan(1000);
    }

    @Test
    void gammaZeroMixesEverywhere() {
        KeyStream rng = KeyStream.fromSeed("g0");
        int movedFirst = 0;
        for (int s = 0; s < 200; s++) if (BlockPermutation.sample(INV, 8, 0, rng)[0] != 0) movedFirst++;
        assertThat(movedFirst).isBetween(60, 190);
    }
}
