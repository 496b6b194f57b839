package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FfnTransformTest {

    @ParameterizedTest(name = "d={0} d_ffn={1} h={2}")
    @CsvSource({"48,96,8", "40,64,0", "32,50,16"})
    void obfuscatedFfnIsPlainFfnTimesTheWriterKey(int d, int ffn, int h) {
        KeyStream rng = KeyStream.fromSeed("ffn" + d);
        KeyMatrices keys = KeyMatrices.generate(d, h, 0.3, rng);
        FfnWeights plain = new FfnWeights(
                Reference.random(ffn, d, 1 / Math.sqrt(d), rng),
                Reference.random(ffn, d, 1 / Math.sqrt(d), rng),
                Reference.random(d, ffn, 1 / Math.sqrt(ffn), rng));
        WeightMatrix x = Reference.random(5, d, 1, rng);
        FfnKeys k = FfnKeys.sample(ffn, keys, rng);
        FfnWeights obf = FfnTransform.apply(plain, k);
        assertThat(obf.gate().cols()).isEqualTo(d + 2 * h);
        assertThat(obf.down().rows()).isEqualTo(d + 2 * h);
        WeightMatrix expected = Reference.ffn(x, plain).times(k.downWriter());
        WeightMatrix actual = Reference.ffn(x.times(WeightMatrix.of(keys.writerKey(rng))), obf);
        assertThat(Reference.relativeError(actual, expected)).isLessThan(2e-5);
    }
}
