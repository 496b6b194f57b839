package dev.veil.aloepri;

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
        LinearBackend recording = new LinearBackend() {
            @Override
            public ModelConfig config() {
                return local.config();
            }

            @Override
            public void embed(int[] ids, float[] out) {
                local.embed(ids, out);
                calibration.write(out.clone(), ids.length);
            }

            @Override
            public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
                local.apply(op, layer, x, n, out);
                if (op == LinearOp.O || op == LinearOp.DOWN) calibration.write(out.clone(), n);
            }
        };
        Transformer t = new Transformer(recording);
        t.append(tokens, new KvCache(obfuscator.plainConfig(), tokens.length));
        return calibration;
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
