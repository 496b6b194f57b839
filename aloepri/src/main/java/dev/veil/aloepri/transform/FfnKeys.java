package dev.veil.aloepri.transform;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;

/**
 * The keys of one FFN layer (paper §5.2.4): readers for gate and up, a writer for down, the neuron
 * permutation Z_ffn (obfuscated neuron r is plain neuron {@code order[r]}) and the scaling H_ffn
 * ({@code scale[i]} for plain neuron i, log-uniform in [1/2, 2]; the paper leaves the law open).
 * Each key comes from its own sub-stream, so the down writer can be regenerated alone (κ calibration).
 */
public record FfnKeys(
        WeightMatrix gateReader, WeightMatrix upReader, WeightMatrix downWriter, int[] order, float[] scale) {

    public static FfnKeys sample(int ffnDim, KeyMatrices keys, KeyStream rng) {
        return sample(ffnDim, keys, rng, downWriter(keys, rng));
    }

    /** As {@link #sample(int, KeyMatrices, KeyStream)} with a given down writer (one per mixture-of-experts layer, shared by its experts). */
    public static FfnKeys sample(int ffnDim, KeyMatrices keys, KeyStream rng, WeightMatrix downWriter) {
        KeyStream neurons = rng.derive("neurons");
        float[] scale = new float[ffnDim];
        for (int i = 0; i < ffnDim; i++) scale[i] = (float) HeadKey.logUniform(HeadKey.SCALE_RANGE, neurons);
        return new FfnKeys(
                WeightMatrix.of(keys.readerKey(rng.derive("gate"))),
                WeightMatrix.of(keys.readerKey(rng.derive("up"))),
                downWriter,
                neurons.permutation(ffnDim),
                scale);
    }

    /** The down_proj writer key alone: the same matrix {@link #sample} draws from {@code rng}. */
    public static WeightMatrix downWriter(KeyMatrices keys, KeyStream rng) {
        return WeightMatrix.of(keys.writerKey(rng.derive("down")));
    }

    /** These keys with the post-attention norm's weight γ folded into the gate/up readers (see {@link NormFolding}). */
    public FfnKeys foldNorm(float[] gamma) {
        return new FfnKeys(
                NormFolding.intoReader(gamma, gateReader),
                NormFolding.intoReader(gamma, upReader),
                downWriter,
                order,
                scale);
    }
}
