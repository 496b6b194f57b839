package dev.veil.aloepri.transform;

import java.util.random.RandomGenerator;

/**
 * Plain, obviously-correct reference ops (Hugging Face semantics) for the transforms' exactness tests:
 * they run the same computation on plain and obfuscated weights.
 */
public final class Reference {

    private Reference() {}

    public static WeightMatrix random(int rows, int cols, double std, RandomGenerator rng) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * rng.nextGaussian());
        return new WeightMatrix(rows, cols, v);
    }

    public static float[] randomVector(int n, double std, RandomGenerator rng) {
        return random(1, n, std, rng).data();
    }

    /** x·Wᵀ + b in double. */
    public static WeightMatrix linear(WeightMatrix x, WeightMatrix w, float[] bias) {
        float[] out = new float[x.rows() * w.rows()];
        for (int r = 0; r < x.rows(); r++)
            for (int o = 0; o < w.rows(); o++) {
                double s = bias == null ? 0 : bias[o];
                for (int i = 0; i < x.cols(); i++) s += (double) x.get(r, i) * w.get(o, i);
                out[r * w.rows() + o] = (float) s;
            }
        return new WeightMatrix(x.rows(), w.rows(), out);
    }

    /** Each row divided by its RMS (no weight), as the engine's forward pass does. */
    public static WeightMatrix rmsNormalize(WeightMatrix x, double eps) {
        float[] out = new float[x.data().length];
        for (int r = 0; r < x.rows(); r++) {
            double s = 0;
            for (int i = 0; i < x.cols(); i++) s += (double) x.get(r, i) * x.get(r, i);
            double inv = 1 / Math.sqrt(s / x.cols() + eps);
            for (int i = 0; i < x.cols(); i++) out[r * x.cols() + i] = (float) (x.get(r, i) * inv);
        }
        return new WeightMatrix(x.rows(), x.cols(), out);
    }

    /** Hugging Face RoPE (rotate_half pairing: dim j with j + hd/2) on every head of row {@code r}, position {@code pos}. */
    public static void rope(float[] row, int heads, int headDim, int pos, double[] inv) {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < half; j++) {
                int a = h * headDim + j, b = a + half;
                double c = Math.cos(pos * inv[j]), s = Math.sin(pos * inv[j]);
                double x1 = row[a], x2 = row[b];
                row[a] = (float) (x1 * c - x2 * s);
                row[b] = (float) (x2 * c + x1 * s);
            }
    }

    /** Causal GQA attention with RoPE at positions 0..n−1, through o_proj: [n, d_in] → [n, o.rows]. */
    public static WeightMatrix attention(
            WeightMatrix x, AttentionWeights w, int heads, int kvHeads, int headDim, double[] inv) {
        int n = x.rows(), group = heads / kvHeads;
        WeightMatrix q = linear(x, w.q(), w.qBias()), k = linear(x, w.k(), w.kBias()), v = linear(x, w.v(), w.vBias());
        for (int p = 0; p < n; p++) {
            float[] qr = new float[q.cols()], kr = new float[k.cols()];
            System.arraycopy(q.data(), p * q.cols(), qr, 0, qr.length);
            System.arraycopy(k.data(), p * k.cols(), kr, 0, kr.length);
            rope(qr, heads, headDim, p, inv);
            rope(kr, kvHeads, headDim, p, inv);
            System.arraycopy(qr, 0, q.data(), p * q.cols(), qr.length);
            System.arraycopy(kr, 0, k.data(), p * k.cols(), kr.length);
        }
        float[] att = new float[n * heads * headDim];
        for (int p = 0; p < n; p++)
            for (int h = 0; h < heads; h++) {
                int kv = h / group;
                double[] score = new double[p + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= p; t++) {
                    double s = 0;
                    for (int i = 0; i < headDim; i++)
                        s += (double) q.get(p, h * headDim + i) * k.get(t, kv * headDim + i);
                    score[t] = s / Math.sqrt(headDim);
                    max = Math.max(max, score[t]);
                }
                double z = 0;
                for (int t = 0; t <= p; t++) z += score[t] = Math.exp(score[t] - max);
                for (int i = 0; i < headDim; i++) {
                    double s = 0;
                    for (int t = 0; t <= p; t++) s += score[t] / z * v.get(t, kv * headDim + i);
                    att[p * heads * headDim + h * headDim + i] = (float) s;
                }
            }
        return linear(new WeightMatrix(n, heads * headDim, att), w.o(), null);
    }

    /** SwiGLU: (silu(x·Wgᵀ) ⊙ x·Wuᵀ)·Wdᵀ. */
    public static WeightMatrix ffn(WeightMatrix x, FfnWeights w) {
        WeightMatrix g = linear(x, w.gate(), null), u = linear(x, w.up(), null);
        float[] m = new float[g.data().length];
        for (int i = 0; i < m.length; i++) {
            double a = g.data()[i];
            m[i] = (float) (a / (1 + Math.exp(-a)) * u.data()[i]);
        }
        return linear(new WeightMatrix(g.rows(), g.cols(), m), w.down(), null);
    }

    /** Largest |a − b| divided by the largest |b|. */
    public static double relativeError(WeightMatrix a, WeightMatrix b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < b.data().length; i++) {
            diff = Math.max(diff, Math.abs(a.data()[i] - b.data()[i]));
            scale = Math.max(scale, Math.abs(b.data()[i]));
        }
        return diff / scale;
    }
}
