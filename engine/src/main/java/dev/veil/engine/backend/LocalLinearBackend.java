package dev.veil.engine.backend;

import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.util.Arrays;

/**
 * The weights in memory (usually memory-mapped, read in place): multiplies with the engine's kernels, applies each
 * RMSNorm weight γ to the normalised input before QKV, GATE_UP and LM_HEAD, and adds the q/k/v biases.
 *
 * <p>Thread-safe and stateless per call, so one backend serves any number of concurrent sequences.
 */
public final class LocalLinearBackend implements LinearBackend {

    private final ModelConfig config;
    private final Weights weights;
    private final Parallel parallel;
    private final boolean ownsParallel;
    private final Batching batching;
    private final Matrix embedding;
    private final Matrix lmHead;
    private final float[] finalNorm;
    private final Layer[] layers;

    /** One decoder layer's weights; Q, K, V (and gate, up) are stacked so each pair or triple is one parallel job. */
    private record Layer(float[] inputNorm, Matrix[] qkv, float[] qkvBias, Matrix o, float[] postNorm,
                         Matrix[] gateUp, Matrix down) {}

    /** Checks every tensor's presence, dtype and shape against {@code config}; fails naming the first bad one. */
    public LocalLinearBackend(ModelConfig config, Weights weights, Parallel parallel) {
        this(config, weights, parallel, false, Batching.FASTEST);
    }

    /**
     * With {@link Batching#INVARIANT}, every row's products are bit for bit independent of the other rows of the call:
     * a server batching many sequences gives each the tokens it would get alone.
     */
    public LocalLinearBackend(ModelConfig config, Weights weights, Parallel parallel, Batching batching) {
        this(config, weights, parallel, false, batching);
    }

    /** A backend with its own pool of {@code threads} kernel threads, stopped by {@link #close()}. */
    public LocalLinearBackend(ModelConfig config, Weights weights, int threads) {
        this(config, weights, new Parallel(threads), true, Batching.FASTEST);
    }

    private LocalLinearBackend(ModelConfig config, Weights weights, Parallel parallel, boolean ownsParallel, Batching batching) {
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
        this.ownsParallel = ownsParallel;
        this.batching = batching;
        int hidden = config.hiddenSize(), inter = config.intermediateSize();
        this.embedding = matrix("model.embed_tokens.weight", config.vocabSize(), hidden);
        this.lmHead = weights.contains("lm_head.weight") || !config.tieWordEmbeddings()
                ? matrix("lm_head.weight", config.vocabSize(), hidden) : embedding;
        this.finalNorm = vector("model.norm.weight", hidden);
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            Matrix[] qkv = {
                matrix(ModelConfig.layer(i, "self_attn.q_proj.weight"), config.qDim(), hidden),
                matrix(ModelConfig.layer(i, "self_attn.k_proj.weight"), config.kvDim(), hidden),
                matrix(ModelConfig.layer(i, "self_attn.v_proj.weight"), config.kvDim(), hidden)};
            float[] bias = null;
            if (config.attentionBias()) {
                bias = concat(vector(ModelConfig.layer(i, "self_attn.q_proj.bias"), config.qDim()),
                        vector(ModelConfig.layer(i, "self_attn.k_proj.bias"), config.kvDim()),
                        vector(ModelConfig.layer(i, "self_attn.v_proj.bias"), config.kvDim()));
            }
            layers[i] = new Layer(
                    vector(ModelConfig.layer(i, "input_layernorm.weight"), hidden),
                    qkv, bias,
                    matrix(ModelConfig.layer(i, "self_attn.o_proj.weight"), hidden, config.qDim()),
                    vector(ModelConfig.layer(i, "post_attention_layernorm.weight"), hidden),
                    new Matrix[] {
                        matrix(ModelConfig.layer(i, "mlp.gate_proj.weight"), inter, hidden),
                        matrix(ModelConfig.layer(i, "mlp.up_proj.weight"), inter, hidden)},
                    matrix(ModelConfig.layer(i, "mlp.down_proj.weight"), hidden, inter));
        }
    }

    private Matrix matrix(String name, int rows, int cols) {
        Tensor t = weights.get(name);
        if (t.rank() != 2 || t.shape()[0] != rows || t.shape()[1] != cols)
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + " but config.json implies [" + rows + ", " + cols + "]");
        return Matrix.of(t);
    }

    /** A norm weight or bias, widened to float (a few KiB per layer). */
    private float[] vector(String name, int length) {
        Tensor t = weights.get(name);
        if (t.rank() != 1 || t.shape()[0] != length)
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + " but config.json implies [" + length + "]");
        if (!t.dtype().isFloat()) throw new IllegalArgumentException("tensor " + name + " has dtype " + t.dtype()
                + "; expected F32, F16 or BF16");
        return t.toFloats();
    }

    private static float[] concat(float[]... parts) {
        float[] out = new float[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    public Weights weights() {
        return weights;
    }

    @Override
    public void embed(int[] tokens, float[] out) {
        int hidden = config.hiddenSize();
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= config.vocabSize())
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            embedding.widenRows(id, 1, out, t * hidden);
        }
    }

    @Override
    public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
        if (op != LinearOp.LM_HEAD && (layer < 0 || layer >= layers.length))
            throw new IllegalArgumentException("layer " + layer + " is outside [0, " + layers.length + ")");
        Layer l = op == LinearOp.LM_HEAD ? null : layers[layer];
        switch (op) {
            case QKV -> {
                MatMul.multiply(parallel, withNormWeight(x, n, l.inputNorm), n, l.qkv, out, batching);
                if (l.qkvBias != null) VectorMath.addRows(out, n, l.qkvBias);
            }
            case O -> MatMul.multiply(parallel, x, n, new Matrix[] {l.o}, out, batching);
            case GATE_UP -> MatMul.multiply(parallel, withNormWeight(x, n, l.postNorm), n, l.gateUp, out, batching);
            case DOWN -> MatMul.multiply(parallel, x, n, new Matrix[] {l.down}, out, batching);
            case LM_HEAD -> MatMul.multiply(parallel, withNormWeight(x, n, finalNorm), n, new Matrix[] {lmHead}, out, batching);
        }
    }

    /** {@code x · diag(γ)} in a fresh array: the caller's input stays untouched and concurrent calls share nothing. */
    private static float[] withNormWeight(float[] x, int n, float[] gamma) {
        float[] scaled = new float[n * gamma.length];
        VectorMath.mulRows(x, n, gamma, scaled);
        return scaled;
    }

    @Override
    public void close() {
        if (ownsParallel) parallel.close();
    }
}
