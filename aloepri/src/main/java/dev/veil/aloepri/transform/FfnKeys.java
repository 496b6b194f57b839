package dev.veil.aloepri.transform;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;

/**
 * The keys of one FFN layer (paper §5.2.4): readers for gate and up, a writer for down, the neuron
 * permutation Z_ffn (obfuscated neuron r is plain neuron {@code order[r]}) and the scaling H_ffn
 * ({@code scale[i]} for plain neuron i, log-uniform in [1/2, 2]; the paper leaves the law open).
 */
public record FfnKeys(Matrix gateReader, Matrix upReader, Matrix downWriter, int[] order, float[] scale) {

    public static FfnKeys sample(int ffnDim, KeyMatrices keys, KeyStream rng) {
        float[] scale = new float[ffnDim];
        for (int i = 0; i < ffnDim; i++) scale[i] = (float) HeadKey.logUniform(HeadKey.SCALE_RANGE, rng);
        return new FfnKeys(Matrix.of(keys.readerKey(rng)), Matrix.of(keys.readerKey(rng)), Matrix.of(keys.writerKey(rng)),
                rng.permutation(ffnDim), scale);
    }
}
