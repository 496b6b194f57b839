package dev.veil.aloepri.key;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KeyStreamTest {

    @Test
    void sameSeedAndLabelGiveTheSameStreamAndOthersDiffer() {
        long[] a = longs(KeyStream.fromSeed("x").derive("layer.0"));
        long[] b = longs(KeyStream.fromSeed("x").derive("layer.0"));
        long[] c = longs(KeyStream.fromSeed("x").derive("layer.1"));
        long[] d = longs(KeyStream.fromSeed("y").derive("layer.0"));
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c).isNotEqualTo(d);
        assertThat(longs(KeyStream.fresh())).isNotEqualTo(longs(KeyStream.fresh()));
    }

    @Test
    void gaussiansHaveUnitMomentsAndPermutationsAreBijections() {
        KeyStream rng = KeyStream.fromSeed("moments");
        int n = 200_000;
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            sum += g;
            sq += g * g;
        }
        assertThat(sum / n).isBetween(-0.01, 0.01);
        assertThat(sq / n).isBetween(0.98, 1.02);
        int[] p = rng.permutation(1000);
        assertThat(Arrays.stream(p).sorted().toArray())
                .containsExactly(IntStream.range(0, 1000).toArray());
        assertThat(p).isNotEqualTo(IntStream.range(0, 1000).toArray());
    }

    private static long[] longs(KeyStream s) {
        long[] out = new long[1000]; // crosses a buffer refill
        for (int i = 0; i < out.length; i++) out[i] = s.nextLong();
        return out;
    }
}
