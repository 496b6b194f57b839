package dev.veil.aloepri;

import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.KvCache;
import dev.veil.engine.LinearOp;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.Arrays;

/**
 * The second moment M = E[a·aᵀ] of every FFN's hidden activation a (the input of W_down), per layer and, in a
 * mixture-of-experts layer, per expert, measured by running a model on Veil's engine over some text. The compiler
 * shapes its activation-aware W_down noise by the plain model's ({@link FfnNoiseProfile#ACTIVATION}); an attacker who
 * knows that defense measures the served model's the same way (the engine is standard) — both use this class.
 *
 * <p>Expectations are over all tokens: an expert's moment counts the tokens not routed to it as zeros, so it carries
 * how often the expert is used.
 */
public final class FfnActivations {

    /** [layer][expert, or 0 for a dense layer] → row-major {@code width × width}. */
    private final double[][][] moments;

    private final int[][] widths;
    private final int tokens;

    private FfnActivations(double[][][] moments, int[][] widths, int tokens) {
        this.moments = moments;
        this.widths = widths;
        this.tokens = tokens;
    }

    /** Runs {@code weights} over {@code text} in windows of {@code context} tokens (each its own KV cache). */
    public static FfnActivations measure(ModelConfig c, Weights weights, int[] text, int context) {
        if (text.length == 0) throw new IllegalArgumentException("measuring FFN activations needs calibration text");
        if (context < 1) throw new IllegalArgumentException("context must be >= 1, got " + context);
        int layers = c.numLayers();
        double[][][] m = new double[layers][][];
        int[][] widths = new int[layers][];
        for (int l = 0; l < layers; l++) {
            boolean moe = c.isMoeLayer(l);
            int blocks = moe ? c.moe().numExperts() : 1, w = moe ? c.moe().moeIntermediateSize() : c.intermediateSize();
            m[l] = new double[blocks][w * w];
            widths[l] = new int[blocks];
            Arrays.fill(widths[l], w);
        }
        var recorder = new ForwardingBackend(new LocalLinearBackend(c, weights, Parallel.shared())) {
            @Override
            public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
                if (op == LinearOp.DOWN) accumulate(m[layer][0], x, n, widths[layer][0]);
                inner.apply(op, layer, x, n, out);
            }

            @Override
            public void applyExperts(LinearOp op, int layer, int[] experts, float[][] x, int[] rows, float[][] out) {
                if (op == LinearOp.DOWN)
                    for (int g = 0; g < experts.length; g++)
                        accumulate(m[layer][experts[g]], x[g], rows[g], widths[layer][experts[g]]);
                inner.applyExperts(op, layer, experts, x, rows, out);
            }
        };
        Transformer t = new Transformer(recorder);
        for (int from = 0; from < text.length; from += context) {
            int[] window = Arrays.copyOfRange(text, from, Math.min(text.length, from + context));
            t.append(window, new KvCache(c, window.length));
        }
        for (int l = 0; l < layers; l++)
            for (int e = 0; e < m[l].length; e++) {
                double[] block = m[l][e];
                int w = widths[l][e];
                for (int i = 0; i < w; i++)
                    for (int j = i; j < w; j++) {
                        double v = block[i * w + j] / text.length;
                        block[i * w + j] = v;
                        block[j * w + i] = v;
                    }
            }
        return new FfnActivations(m, widths, text.length);
    }

    /** Adds Σ_rows x·xᵀ (upper triangle) to {@code m}. */
    private static void accumulate(double[] m, float[] x, int n, int w) {
        Parallel.shared().forEach(w, i -> {
            int base = i * w;
            for (int r = 0; r < n; r++) {
                double xi = x[r * w + i];
                if (xi == 0) continue;
                int row = r * w;
                for (int j = i; j < w; j++) m[base + j] += xi * x[row + j];
            }
        });
    }

    /** Layer {@code layer}'s moment (expert {@code expert}'s in a mixture-of-experts layer, else pass 0): {@code width²}. */
    public double[] moment(int layer, int expert) {
        return moments[layer][expert];
    }

    public int width(int layer, int expert) {
        return widths[layer][expert];
    }

    public int layers() {
        return moments.length;
    }

    public int tokens() {
        return tokens;
    }
}
