package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.kernel.Rope;
import dev.veil.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttentionTransformTest {

    static ModelConfig config(int d, int heads, int kvHeads, int headDim, boolean bias) {
        return ModelConfig.of(
                        bias ? ModelConfig.Architecture.QWEN2 : ModelConfig.Architecture.LLAMA,
                        100,
                        d,
                        2 * d,
                        1,
                        heads,
                        kvHeads,
                        headDim)
                .withNorm(1e-6, 10000, null)
                .withTokens(512, false, bias, 1, List.of(2));
    }

    static AttentionWeights randomWeights(ModelConfig c, KeyStream rng) {
        int d = c.hiddenSize();
        double std = 1 / Math.sqrt(d);
        return new AttentionWeights(
                Reference.random(c.qDim(), d, std, rng),
                Reference.random(c.kvDim(), d, std, rng),
                Reference.random(c.kvDim(), d, std, rng),
                Reference.random(d, c.qDim(), 1 / Math.sqrt(c.qDim()), rng),
                c.attentionBias() ? Reference.randomVector(c.qDim(), 0.5, rng) : null,
                c.attentionBias() ? Reference.randomVector(c.kvDim(), 0.5, rng) : null,
                c.attentionBias() ? Reference.randomVector(c.kvDim(), 0.5, rng) : null);
    }

    /** Relative error of obfuscated attention(x·P̂_in) against plain attention(x)·P̂_o. */
    static double error(ModelConfig c, int beta, double gamma, String seed) {
        KeyStream rng = KeyStream.fromSeed(seed);
        KeyMatrices keys = KeyMatrices.generate(c.hiddenSize(), 8, 0.3, rng);
        AttentionWeights plain = randomWeights(c, rng);
        WeightMatrix x = Reference.random(7, c.hiddenSize(), 1, rng);
        double[] inv = Rope.of(c).inverseFrequencies();
        WeightMatrix y = Reference.attention(x, plain, c.numHeads(), c.numKvHeads(), c.headDim(), inv);

        AttentionKeys k = AttentionKeys.sample(c, keys, beta, gamma, rng);
        AttentionWeights obf = AttentionTransform.apply(plain, k, c.numHeads(), c.numKvHeads(), c.headDim());
        WeightMatrix xObf = x.times(WeightMatrix.of(keys.writerKey(rng)));
        WeightMatrix yObf = Reference.attention(xObf, obf, c.numHeads(), c.numKvHeads(), c.headDim(), inv);
        return Reference.relativeError(yObf, y.times(k.oWriter()));
    }

    @ParameterizedTest(name = "d={0} heads={1}/{2} head_dim={3} bias={4}")
    @CsvSource({"48,4,4,12,false", "48,6,2,16,true", "40,4,1,10,true", "32,8,4,8,false"})
    void obfuscatedAttentionIsPlainAttentionTimesTheWriterKey(
            int d, int heads, int kvHeads, int headDim, boolean bias) {
        ModelConfig c = config(d, heads, kvHeads, headDim, bias);
        assertThat(error(c, 1, 1e3, "attn-" + d + heads)).isLessThan(2e-5);
    }

    @ParameterizedTest(name = "d={0} heads={1}/{2} head_dim={3}")
    @CsvSource({"48,6,2,16,true"})
    void blockPermutationAcrossFrequenciesIsNotExact(int d, int heads, int kvHeads, int headDim, boolean bias) {
        // γ = 0: windows mix high-frequency blocks too, so RoPE angles change and the output moves.
        ModelConfig c = config(d, heads, kvHeads, headDim, bias);
        assertThat(error(c, 8, 0, "attn-perm")).isGreaterThan(1e-2);
    }

    @org.junit.jupiter.api.Test
    void headsArePermuted() {
        ModelConfig c = config(48, 8, 4, 6, false);
        int moved = 0;
        for (int i = 0; i < 5; i++) {
            AttentionKeys k = AttentionKeys.sample(
                    c,
                    KeyMatrices.generate(48, 0, 0.3, KeyStream.fromSeed("p" + i)),
                    1,
                    1e3,
                    KeyStream.fromSeed("h" + i));
            for (int s = 0; s < 4; s++) if (k.kvOrder()[s] != s || k.groupOrder()[s][0] != 0) moved++;
        }
        assertThat(moved).isGreaterThan(5);
    }
}
