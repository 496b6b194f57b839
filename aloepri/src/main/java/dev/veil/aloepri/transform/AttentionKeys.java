package dev.veil.aloepri.transform;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.kernel.Rope;
import dev.veil.model.ModelConfig;

/**
 * Every key of one attention layer: fresh readers for q/k/v and a fresh writer for o (Algorithm 1), one
 * {@link HeadKey} per key/value head, and the head permutations — obfuscated KV slot s holds plain KV head
 * {@code kvOrder[s]}, and position g of its query group holds plain query head
 * {@code kvOrder[s]·groupSize + groupOrder[s][g]}. A q_norm/k_norm model (Qwen3) has a layer-wide {@link QkNormKey}
 * and heads restricted to what commutes with the norm ({@link HeadKey#qkNorm}); {@code qkNorm} is null otherwise.
 *
 * <p>Each key comes from its own sub-stream of the layer's stream, so one of them (the o writer, for κ calibration)
 * can be regenerated without the others.
 */
public record AttentionKeys(
        WeightMatrix qReader,
        WeightMatrix kReader,
        WeightMatrix vReader,
        WeightMatrix oWriter,
        HeadKey[] heads,
        int[] kvOrder,
        int[][] groupOrder,
        QkNormKey qkNorm) {

    public static AttentionKeys sample(ModelConfig c, KeyMatrices keys, int beta, double gamma, KeyStream rng) {
        double[] inv = Rope.of(c).inverseFrequencies();
        KeyStream intraHead = rng.derive("heads");
        HeadKey[] heads = new HeadKey[c.numKvHeads()];
        QkNormKey qkNorm = c.qkNorm() ? QkNormKey.sample(inv, beta, gamma, rng.derive("qk_norm")) : null;
        for (int h = 0; h < heads.length; h++)
            heads[h] = qkNorm != null
                    ? HeadKey.qkNorm(c.headDim(), qkNorm, intraHead)
                    : HeadKey.sample(c.headDim(), inv, beta, gamma, intraHead);
        int[][] groups = new int[c.numKvHeads()][];
        for (int s = 0; s < groups.length; s++) groups[s] = intraHead.permutation(c.groupSize());
        return new AttentionKeys(
                reader(keys, rng, "q"),
                reader(keys, rng, "k"),
                reader(keys, rng, "v"),
                oWriter(keys, rng),
                heads,
                intraHead.permutation(c.numKvHeads()),
                groups,
                qkNorm);
    }

    /** The o_proj writer key alone: the same matrix {@link #sample} draws from {@code rng}. */
    public static WeightMatrix oWriter(KeyMatrices keys, KeyStream rng) {
        return WeightMatrix.of(keys.writerKey(rng.derive("o")));
    }

    /** These keys with the input norm's weight γ folded into the q/k/v readers (see {@link NormFolding}). */
    public AttentionKeys foldNorm(float[] gamma) {
        return new AttentionKeys(
                NormFolding.intoReader(gamma, qReader),
                NormFolding.intoReader(gamma, kReader),
                NormFolding.intoReader(gamma, vReader),
                oWriter,
                heads,
                kvOrder,
                groupOrder,
                qkNorm);
    }

    private static WeightMatrix reader(KeyMatrices keys, KeyStream rng, String label) {
        return WeightMatrix.of(keys.readerKey(rng.derive(label)));
    }
}
