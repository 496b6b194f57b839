package dev.veil.aloepri;

import dev.veil.aloepri.transform.WeightMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Calibrates κ of every norm on real activations (paper §5.2.5 estimates it on Gaussian inputs and one writer;
 * the residual the obfuscated norms actually see is a sum over many writers, each with its own garbage block).
 *
 * <p>Feed it the plain model's residual-stream writes in forward order — the embedding rows, then per layer the
 * o_proj output and the down_proj output — from any forward pass over some calibration tokens. It keeps the
 * plain residual r = Σ wᵢ and the obfuscated one r̃ = Σ wᵢ·P̂ᵢ (the obfuscated model's, by Lemma 10, because its
 * components are exact) and, after writer k, records rms(r̃)/rms(r) for norm k (norm k is the next to read the
 * stream: input_layernorm of layer k/2, post_attention_layernorm of layer k/2, or the final norm).
 */
public final class KappaCalibration {

    private final ModelObfuscator obfuscator;
    private final int writers;
    private final int d;
    private final List<double[]> ratios = new ArrayList<>();
    private float[] plain;
    private float[] obfuscated;

    public KappaCalibration(ModelObfuscator obfuscator) {
        this.obfuscator = obfuscator;
        this.d = obfuscator.plainConfig().hiddenSize();
        this.writers = 2 * obfuscator.plainConfig().numLayers() + 1;
    }

    /** Writer k's key, regenerated when its write arrives (a model's worth of d × d+2h keys would not fit in memory). */
    private WeightMatrix writer(int k) {
        if (k == 0) return obfuscator.embeddingWriter();
        int layer = (k - 1) / 2;
        return k % 2 == 1 ? obfuscator.oWriter(layer) : obfuscator.downWriter(layer);
    }

    /** The next residual write: {@code rows} rows of d values (embedding rows, o_proj output or down_proj output). */
    public void write(float[] output, int rows) {
        int k = ratios.size();
        if (k >= writers)
            throw new IllegalStateException("more residual writes than the model has writers (" + writers + ")");
        WeightMatrix keyed = new WeightMatrix(rows, d, output).times(writer(k));
        if (plain == null) {
            plain = new float[rows * d];
            obfuscated = new float[keyed.data().length];
        }
        if (plain.length != rows * d) throw new IllegalArgumentException("every write must have the same rows");
        for (int i = 0; i < plain.length; i++) plain[i] += output[i];
        for (int i = 0; i < obfuscated.length; i++) obfuscated[i] += keyed.data()[i];
        int dObf = keyed.cols();
        double[] r = new double[rows];
        for (int t = 0; t < rows; t++) r[t] = rms(obfuscated, t * dObf, dObf) / rms(plain, t * d, d);
        ratios.add(r);
    }

    /** κ per norm (the mean ratio), in ModelObfuscator's order; every writer must have been seen. */
    public double[] kappa() {
        requireComplete();
        return ratios.stream()
                .mapToDouble(r -> Arrays.stream(r).average().orElseThrow())
                .toArray();
    }

    /** The ratio's coefficient of variation per norm: the per-token scale error that no constant κ removes. */
    public double[] spread() {
        requireComplete();
        return ratios.stream()
                .mapToDouble(r -> {
                    var s = Arrays.stream(r).summaryStatistics();
                    double mean = s.getAverage(), var = 0;
                    for (double x : r) var += (x - mean) * (x - mean) / r.length;
                    return Math.sqrt(var) / mean;
                })
                .toArray();
    }

    private void requireComplete() {
        if (ratios.size() != writers)
            throw new IllegalStateException("saw " + ratios.size() + " of the model's " + writers + " residual writes");
    }

    private static double rms(float[] v, int from, int len) {
        double s = 0;
        for (int i = from; i < from + len; i++) s += (double) v[i] * v[i];
        return Math.sqrt(s / len);
    }
}
