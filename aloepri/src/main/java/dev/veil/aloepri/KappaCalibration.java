package dev.veil.aloepri;

import dev.veil.aloepri.transform.Matrix;
import java.util.ArrayList;
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

    private final List<Matrix> writers;
    private final int d;
    private final List<double[]> ratios = new ArrayList<>();
    private float[] plain;
    private float[] obfuscated;

    public KappaCalibration(ModelObfuscator obfuscator) {
        this.d = obfuscator.plainConfig().hiddenSize();
        this.writers = new ArrayList<>();
        writers.add(obfuscator.embeddingWriter());
        for (int l = 0; l < obfuscator.plainConfig().numLayers(); l++) {
            writers.add(obfuscator.attentionKeys(l).oWriter());
            writers.add(obfuscator.ffnKeys(l).downWriter());
        }
    }

    /** The next residual write: {@code rows} rows of d values (embedding rows, o_proj output or down_proj output). */
    public void write(float[] output, int rows) {
        int k = ratios.size();
        if (k >= writers.size()) throw new IllegalStateException("more residual writes than the model has writers (" + writers.size() + ")");
        Matrix keyed = new Matrix(rows, d, output).times(writers.get(k));
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
        return ratios.stream().mapToDouble(r -> java.util.Arrays.stream(r).average().orElseThrow()).toArray();
    }

    /** The ratio's coefficient of variation per norm: the per-token scale error that no constant κ removes. */
    public double[] spread() {
        requireComplete();
        return ratios.stream().mapToDouble(r -> {
            var s = java.util.Arrays.stream(r).summaryStatistics();
            double mean = s.getAverage(), var = 0;
            for (double x : r) var += (x - mean) * (x - mean) / r.length;
            return Math.sqrt(var) / mean;
        }).toArray();
    }

    private void requireComplete() {
        if (ratios.size() != writers.size())
            throw new IllegalStateException("saw " + ratios.size() + " of the model's " + writers.size() + " residual writes");
    }

    private static double rms(float[] v, int from, int len) {
        double s = 0;
        for (int i = from; i < from + len; i++) s += (double) v[i] * v[i];
        return Math.sqrt(s / len);
    }
}
