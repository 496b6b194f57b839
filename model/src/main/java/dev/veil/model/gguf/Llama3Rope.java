package dev.veil.model.gguf;

import dev.veil.model.ModelConfig.RopeScaling;

/**
 * llama3-type RoPE scaling as llama.cpp takes it: one factor per rotated pair, stored as {@code rope_freqs.weight},
 * by which llama.cpp divides the pair's frequency. Computed as in convert_hf_to_gguf (LlamaModel.generate_extra_tensors),
 * in float32 like the torch code there.
 */
public final class Llama3Rope {
    private Llama3Rope() {}

    public static float[] factors(int headDim, double ropeTheta, RopeScaling s) {
        float[] out = new float[headDim / 2];
        float lowFreqWavelen = (float) (s.originalMaxPositionEmbeddings() / s.lowFreqFactor());
        float highFreqWavelen = (float) (s.originalMaxPositionEmbeddings() / s.highFreqFactor());
        for (int i = 0; i < out.length; i++) {
            float freq = (float) (1.0 / Math.pow(ropeTheta, (float) (2 * i) / headDim));
            float wavelen = (float) (2 * Math.PI / freq);
            if (wavelen < highFreqWavelen) {
                out[i] = 1;
            } else if (wavelen > lowFreqWavelen) {
                out[i] = (float) s.factor();
            } else {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                out[i] = (float) (1 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return out;
    }

    /** Largest relative difference between two factor vectors. */
    static double maxRelativeDifference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++)
            worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-30));
        return worst;
    }
}
