package dev.veil.engine.kernel;

import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.RopeScaling;

/**
 * Rotary position embedding as Hugging Face applies it: dimension {@code j} of a head is rotated together with
 * dimension {@code j + headDim/2} ("rotate_half") by the angle {@code position × inv_freq[j]}, with
 * {@code inv_freq[j] = theta^(-2j / headDim)}, optionally rescaled the llama3 way. Angles are computed in double.
 */
public final class Rope {

    private final int headDim;
    private final double[] invFreq;

    public Rope(int headDim, double theta, RopeScaling scaling) {
        if (headDim <= 0 || headDim % 2 != 0)
            throw new IllegalArgumentException("head_dim " + headDim + " must be even");
        this.headDim = headDim;
        double[] f = new double[headDim / 2];
        for (int j = 0; j < f.length; j++) f[j] = 1.0 / Math.pow(theta, (2.0 * j) / headDim);
        this.invFreq = scaling == null ? f : llama3(f, scaling);
    }

    public static Rope of(ModelConfig c) {
        return new Rope(c.headDim(), c.ropeTheta(), c.ropeScaling());
    }

    /**
     * transformers' {@code _compute_llama3_parameters}: low frequencies (long wavelengths) are divided by
     * {@code factor}, high ones kept, and the band in between interpolated smoothly.
     */
    private static double[] llama3(double[] invFreq, RopeScaling s) {
        double lowFreqWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highFreqWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        double[] out = new double[invFreq.length];
        for (int j = 0; j < invFreq.length; j++) {
            double wavelen = 2 * Math.PI / invFreq[j];
            double f = wavelen > lowFreqWavelen ? invFreq[j] / s.factor() : invFreq[j];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                f = (1 - smooth) * f / s.factor() + smooth * f;
            }
            out[j] = f;
        }
        return out;
    }

    /** The rotation frequencies, {@code headDim / 2} of them (a copy). */
    public double[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** cos and sin of every angle for positions {@code [start, start + n)}. */
    public Table table(int start, int n) {
        int half = headDim / 2;
        float[] cos = new float[n * half], sin = new float[n * half];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < half; j++) {
                double angle = (double) (start + t) * invFreq[j];
                cos[t * half + j] = (float) Math.cos(angle);
                sin[t * half + j] = (float) Math.sin(angle);
            }
        }
        return new Table(half, cos, sin);
    }

    /** Precomputed cos/sin for a run of consecutive positions. */
    public record Table(int half, float[] cos, float[] sin) {

        /** Rotates the head vector {@code v[offset .. offset + 2·half)} to the {@code t}-th position of the table. */
        public void rotate(float[] v, int offset, int t) {
            int c = t * half;
            for (int j = 0; j < half; j++) {
                float x1 = v[offset + j], x2 = v[offset + half + j];
                float cs = cos[c + j], sn = sin[c + j];
                v[offset + j] = x1 * cs - x2 * sn;
                v[offset + half + j] = x2 * cs + x1 * sn;
            }
        }
    }
}
