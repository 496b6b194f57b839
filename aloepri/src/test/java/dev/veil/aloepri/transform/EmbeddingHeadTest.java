package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.VocabPermutation;
import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingHeadTest {

    private static final int N = 50, D = 24, H = 4;

    @Test
    void obfuscatedEmbeddingOfTauTIsThePlainEmbeddingOfTTimesTheKey() {
        KeyStream rng = KeyStream.fromSeed("embed");
        KeyMatrices keys = KeyMatrices.generate(D, H, 0.3, rng);
        VocabPermutation tau = VocabPermutation.sample(N, List.of(0, 1), rng);
        WeightMatrix embed = Reference.random(N, D, 0.02, rng);
        WeightMatrix p = WeightMatrix.of(keys.writerKey(rng));
        WeightMatrix obf = EmbeddingTransform.apply(embed, p, tau);
        WeightMatrix keyed = embed.times(p);
        for (int t = 0; t < N; t++) {
            WeightMatrix expected = keyed.rowRange(t, t + 1),
                    actual = obf.rowRange(tau.obfuscate(t), tau.obfuscate(t) + 1);
            assertThat(Reference.relativeError(actual, expected)).isLessThan(1e-6);
        }
    }

    @Test
    void obfuscatedLogitOfTauIIsThePlainLogitOfI() {
        KeyStream rng = KeyStream.fromSeed("head");
        KeyMatrices keys = KeyMatrices.generate(D, H, 0.3, rng);
        VocabPermutation tau = VocabPermutation.sample(N, List.of(), rng);
        WeightMatrix head = Reference.random(N, D, 0.1, rng);
        WeightMatrix obf = HeadTransform.apply(head, WeightMatrix.of(keys.readerKey(rng)), tau);
        WeightMatrix x = Reference.random(3, D, 1, rng);
        WeightMatrix plainLogits = Reference.linear(x, head, null);
        WeightMatrix obfLogits = Reference.linear(x.times(WeightMatrix.of(keys.writerKey(rng))), obf, null);
        WeightMatrix unpermuted =
                obfLogits.transpose().gatherRows(tau.forward()).transpose();
        assertThat(Reference.relativeError(unpermuted, plainLogits)).isLessThan(1e-5);
    }

    @Test
    void noiseHasAlphaTimesTheMatrixStandardDeviation() {
        KeyStream rng = KeyStream.fromSeed("noise");
        WeightMatrix w = Reference.random(200, 100, 0.05, rng);
        assertThat(GaussianNoise.add(w, 0, rng)).isSameAs(w);
        WeightMatrix noisy = GaussianNoise.add(w, 0.5, rng);
        float[] diff = new float[w.data().length];
        for (int i = 0; i < diff.length; i++) diff[i] = noisy.data()[i] - w.data()[i];
        double ratio = GaussianNoise.standardDeviation(diff) / GaussianNoise.standardDeviation(w.data());
        assertThat(ratio).isBetween(0.49, 0.51);
    }
}
