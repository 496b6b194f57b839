package dev.veil.aloepri.transform;

import dev.veil.model.ModelConfig;

/** The RoPE inverse frequencies θ_j (j < head_dim/2) as Hugging Face computes them, llama3 scaling included. */
public final class RopeFrequencies {

    private RopeFrequencies() {}

    public static double[] inverse(ModelConfig c) {
        int half = c.headDim() / 2;
        double[] inv = new double[half];
        for (int j = 0; j < half; j++) inv[j] = 1.0 / Math.pow(c.ropeTheta(), 2.0 * j / c.headDim());
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s == null) return inv;
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int j = 0; j < half; j++) {
            double wavelen = 2 * Math.PI / inv[j];
            if (wavelen > lowWavelen) {
                inv[j] = inv[j] / s.factor();
            } else if (wavelen >= highWavelen) {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                inv[j] = (1 - smooth) * inv[j] / s.factor() + smooth * inv[j];
            }
        }
        return inv;
    }
}
