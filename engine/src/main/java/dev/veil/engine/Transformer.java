package dev.veil.engine;

import static dev.veil.engine.LinearOp.DOWN;
import static dev.veil.engine.LinearOp.GATE_UP;
import static dev.veil.engine.LinearOp.LM_HEAD;
import static dev.veil.engine.LinearOp.O;
import static dev.veil.engine.LinearOp.QKV;

import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.Rope;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.ModelConfig;
import java.util.Arrays;

/**
 * The forward pass of a Llama / Qwen2 decoder, written once. It holds no weight: every product with a weight (and the
 * embedding lookup) goes through the {@link LinearBackend}, so local inference, the AloePri model and the Talaria client
 * all run this same code with different backends.
 *
 * <p>Thread-safe: concurrent sequences each bring their own {@link KvCache}.
 */
public final class Transformer {

    private final LinearBackend backend;
    private final ModelConfig c;
    private final Parallel parallel;
    private final Rope rope;

    public Transformer(LinearBackend backend, Parallel parallel) {
        this.backend = backend;
        this.c = backend.config();
        this.parallel = parallel;
        this.rope = Rope.of(c);
    }

    /** A transformer on the process-wide kernel pool. */
    public Transformer(LinearBackend backend) {
        this(backend, Parallel.shared());
    }

    public ModelConfig config() {
        return c;
    }

    public LinearBackend backend() {
        return backend;
    }

    /** An empty cache for one sequence, holding the model's whole context. */
    public KvCache newCache() {
        return new KvCache(c);
    }

    /** Which positions of a forward pass need logits. */
    private enum Logits { NONE, LAST, ALL }

    /** Runs {@code tokens} at the next positions of {@code cache}; returns the logits of the last token. */
    public float[] forward(int[] tokens, KvCache cache) {
        return forward(tokens, cache, Logits.LAST);
    }

    /** Runs {@code tokens} at the next positions of {@code cache}; returns the logits of every token ({@code n × vocab}). */
    public float[] forwardAll(int[] tokens, KvCache cache) {
        return forward(tokens, cache, Logits.ALL);
    }

    /** Runs {@code tokens} into {@code cache} without computing logits (a prompt chunk whose successor follows). */
    public void append(int[] tokens, KvCache cache) {
        forward(tokens, cache, Logits.NONE);
    }

    private float[] forward(int[] tokens, KvCache cache, Logits logits) {
        int n = tokens.length, start = cache.size();
        if (n == 0) throw new IllegalArgumentException("no tokens to run");
        cache.reserve(n);
        int hidden = c.hiddenSize(), qDim = c.qDim(), kvDim = c.kvDim(), inter = c.intermediateSize();
        int qkvDim = qDim + 2 * kvDim;
        float[] x = new float[n * hidden];        // the residual stream
        float[] normed = new float[n * hidden];
        float[] qkv = new float[n * qkvDim];
        float[] attention = new float[n * qDim];
        float[] projected = new float[n * hidden];
        float[] gateUp = new float[n * 2 * inter];
        float[] swiGlu = new float[n * inter];
        Rope.Table angles = rope.table(start, n);

        backend.embed(tokens, x);
        for (int layer = 0; layer < c.numLayers(); layer++) {
            // attention block
            VectorMath.rmsNorm(x, n, hidden, c.rmsNormEps(), normed);
            backend.apply(QKV, layer, normed, n, qkv);
            for (int t = 0; t < n; t++) {
                int row = t * qkvDim;
                for (int h = 0; h < c.numHeads(); h++) angles.rotate(qkv, row + h * c.headDim(), t);
                for (int h = 0; h < c.numKvHeads(); h++) angles.rotate(qkv, row + qDim + h * c.headDim(), t);
                cache.put(layer, start + t, qkv, row + qDim, row + qDim + kvDim);
            }
            Attention.attend(parallel, c, cache, layer, qkv, n, start, attention);
            backend.apply(O, layer, attention, n, projected);
            VectorMath.add(x, 0, projected, 0, n * hidden);

            // feed-forward block
            VectorMath.rmsNorm(x, n, hidden, c.rmsNormEps(), normed);
            backend.apply(GATE_UP, layer, normed, n, gateUp);
            VectorMath.swiGlu(gateUp, n, inter, swiGlu);
            backend.apply(DOWN, layer, swiGlu, n, projected);
            VectorMath.add(x, 0, projected, 0, n * hidden);
        }
        cache.advance(n);

        if (logits == Logits.NONE) return null;
        int rows = logits == Logits.ALL ? n : 1;
        float[] finalNormed = new float[rows * hidden];
        VectorMath.rmsNorm(Arrays.copyOfRange(x, (n - rows) * hidden, n * hidden), rows, hidden, c.rmsNormEps(), finalNormed);
        float[] out = new float[rows * c.vocabSize()];
        backend.apply(LM_HEAD, 0, finalNormed, rows, out);
        return out;
    }
}
