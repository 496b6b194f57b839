package dev.veil.aloepri.transform;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.kernel.Rope;
import dev.veil.model.ModelConfig;

/**
 * Every key of one attention layer: fresh readers for q/k/v and a fresh writer for o (Algorithm 1), one
 * {@link HeadKey} per key/value head, and the head permutations — obfuscated KV slot s holds plain KV head
 * {@code kvOrder[s]}, and position g of its query group holds plain query head
 * {@code kvOrder[s]·groupSize + groupOrder[s][g]}.
 */
public record AttentionKeys(Matrix qReader, Matrix kReader, Matrix vReader, Matrix oWriter,
                            HeadKey[] heads, int[] kvOrder, int[][] groupOrder) {

    public static AttentionKeys sample(ModelConfig c, KeyMatrices keys, int beta, double gamma, KeyStream rng) {
        double[] inv = Rope.of(c).inverseFrequencies();
        HeadKey[] heads = new HeadKey[c.numKvHeads()];
        for (int h = 0; h < heads.length; h++) heads[h] = HeadKey.sample(c.headDim(), inv, beta, gamma, rng);
        int[][] groups = new int[c.numKvHeads()][];
        for (int s = 0; s < groups.length; s++) groups[s] = rng.permutation(c.groupSize());
        return new AttentionKeys(Matrix.of(keys.readerKey(rng)), Matrix.of(keys.readerKey(rng)),
                Matrix.of(keys.readerKey(rng)), Matrix.of(keys.writerKey(rng)), heads, rng.permutation(c.numKvHeads()), groups);
    }
}
