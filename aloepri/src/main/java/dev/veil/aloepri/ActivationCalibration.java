package dev.veil.aloepri;

import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.KvCache;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Calibrates κ on the plain model's own activations: runs it on Veil's engine through a backend that passes every
 * residual-stream write (embedding rows, o_proj and down_proj outputs) to a {@link KappaCalibration}.
 */
public final class ActivationCalibration {

    private ActivationCalibration() {}

    public static KappaCalibration run(ModelObfuscator obfuscator, Weights plain, int[] tokens) {
        KappaCalibration calibration = new KappaCalibration(obfuscator);
        LinearBackend local = new LocalLinearBackend(obfuscator.plainConfig(), plain, Parallel.shared());
        Recorder recording = new Recorder(local, calibration);
        new Transformer(recording).append(tokens, new KvCache(obfuscator.plainConfig(), tokens.length));
        recording.flushExperts(); // a sparse last layer's write is complete only when the pass ends
        return calibration;
    }

    /** Passes every residual-stream write on; a sparse layer's write is its experts' outputs summed with their weights. */
    private static final class Recorder extends ForwardingBackend {
        private final KappaCalibration calibration;
        private final ModelConfig c;
        /** The current sparse layer's routing and the weighted sum of its experts' writes, until it is complete. */
        private int[] chosen;

        private float[] weights, moeWrite;
        private int rows;

        Recorder(LinearBackend local, KappaCalibration calibration) {
            super(local);
            this.calibration = calibration;
            this.c = inner.config();
        }

        @Override
        public void embed(int[] ids, float[] out) {
            inner.embed(ids, out);
            calibration.write(out.clone(), ids.length);
        }

        @Override
        public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
            flushExperts();
            inner.apply(op, layer, x, n, out);
            if (op == LinearOp.O || op == LinearOp.DOWN) calibration.write(out.clone(), n);
        }

        @Override
        public void route(int layer, float[] x, int n, float[] out) {
            inner.route(layer, x, n, out);
            int k = c.moe().expertsPerToken();
            chosen = new int[n * k];
            weights = new float[n * k];
            Transformer.route(c.moe(), out.clone(), n, chosen, weights);
            moeWrite = new float[n * c.hiddenSize()];
            rows = n;
        }

        @Override
        public void applyExperts(LinearOp op, int layer, int[] experts, float[][] x, int[] n, float[][] out) {
            inner.applyExperts(op, layer, experts, x, n, out);
            if (op != LinearOp.DOWN) return;
            // the forward pass hands expert e the rows routed to it, in row order: add each with its weight
            int k = c.moe().expertsPerToken(), d = c.hiddenSize();
            for (int g = 0; g < experts.length; g++) {
                int i = 0;
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < k; j++)
                        if (chosen[r * k + j] == experts[g]) {
                            for (int col = 0; col < d; col++)
                                moeWrite[r * d + col] += weights[r * k + j] * out[g][i * d + col];
                            i++;
                        }
            }
        }

        void flushExperts() {
            if (moeWrite == null) return;
            calibration.write(moeWrite, rows);
            moeWrite = null;
        }
    }

    /**
     * {@code count} ids drawn uniformly from the ids τ permutes (no special tokens): a calibration text needs no
     * tokenizer, and what κ needs is the mix of magnitudes the writers put into the stream, which random ids show.
     */
    public static int[] randomTokens(int vocabSize, Collection<Integer> fixed, int count, RandomGenerator rng) {
        Set<Integer> skip = new HashSet<>(fixed);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            int id;
            do id = rng.nextInt(vocabSize);
            while (skip.contains(id));
            out[i] = id;
        }
        return out;
    }
}
