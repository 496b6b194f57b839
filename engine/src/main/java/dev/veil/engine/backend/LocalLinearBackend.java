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
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * The weights in memory (usually memory-mapped, read in place): multiplies with the engine's kernels, applies each
 * RMSNorm weight γ to the normalised input before QKV, GATE_UP (dense or expert), the router and LM_HEAD, applies
 * Qwen3's q/k norm weights, and adds the q/k/v biases.
 *
 * <p>Thread-safe, so one backend serves any number of concurrent sequences.
 */
public final class LocalLinearBackend implements LinearBackend {

    private final ModelConfig config;
    private final Weights weights;
    private final Parallel parallel;
    private final boolean ownsParallel;
    private final Batching batching;
    private final Matrix embedding;
    private final float[] finalNorm;
    /** What the products read; replaced once, by {@link #matrices(Batching, int)}. */
    private volatile Matrices matrices;
    /**
     * Set once the quantized head has had its first one-row product. In a fresh process that product is the first
     * token's, right after a prompt whose products all ran the tile kernels: the one-row kernel has not run yet and
     * would execute interpreted over the largest matrix (151,936 rows for Qwen2.5) until C2 had compiled it, 0.7 s of a
     * 4.5 s first token (docs/warm-start.md). So that one product takes the prompt's tile kernel (the same products,
     * summed in another order); every later one, the one-row kernel, which decoding then compiles.
     */
    private final AtomicBoolean headRowKernelUsed = new AtomicBoolean();

    /**
     * One decoder layer's weights; Q, K, V (and gate, up) are stacked so each pair or triple is one parallel job.
     * Qwen3 adds q/k norm weights; a mixture-of-experts layer has a router and per-expert gate|up and down instead of
     * gateUp and down.
     */
    private record Layer(
            float[] inputNorm,
            Matrix[] qkv,
            float[] qkvBias,
            float[] qNorm,
            float[] kNorm,
            Matrix o,
            float[] postNorm,
            Matrix[] gateUp,
            Matrix down,
            Matrix router,
            Matrix[][] expertGateUp,
            Matrix[] expertDown) {

        /** This layer with each matrix replaced by {@code f}'s result. */
        Layer map(UnaryOperator<Matrix> f) {
            return new Layer(
                    inputNorm,
                    each(qkv, f),
                    qkvBias,
                    qNorm,
                    kNorm,
                    f.apply(o),
                    postNorm,
                    each(gateUp, f),
                    down == null ? null : f.apply(down),
                    router == null ? null : f.apply(router),
                    expertGateUp == null
                            ? null
                            : Arrays.stream(expertGateUp).map(m -> each(m, f)).toArray(Matrix[][]::new),
                    each(expertDown, f));
        }

        private static Matrix[] each(Matrix[] ms, UnaryOperator<Matrix> f) {
            return ms == null ? null : Arrays.stream(ms).map(f).toArray(Matrix[]::new);
        }
    }

    /**
     * The layers and the LM head as the products read them. Quantized matrices start as their file mapping and get
     * their decode layout ({@link Matrix#inHugePages}: row tiles for the one-row kernels, in huge pages) when a product
     * first streams rows ({@link MatMul#streamsRows}); every other product dequantizes blocks from the mapping and never
     * reads that layout. So a fresh {@code generate} of a prompt of 8 tokens or more shows its first token before the
     * repacking (0.7-1.5 s of a cold start on the 0.5B shape's Q4_K_M; the first decode step then pays it), and a
     * server batching with {@link Batching#INVARIANT} never repacks nor holds the copy. The property {@code
     * veil.weights.mapped} keeps every matrix mapped, for models larger than the memory beside the page cache.
     */
    private record Matrices(Layer[] layers, Matrix lmHead, boolean decodeLayout) {

        Matrices inDecodeLayout(Parallel parallel) {
            UnaryOperator<Matrix> f = m -> m.dtype().isQuantized() ? m.inHugePages(parallel) : m;
            return new Matrices(Arrays.stream(layers).map(l -> l.map(f)).toArray(Layer[]::new), f.apply(lmHead), true);
        }
    }

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

    private LocalLinearBackend(
            ModelConfig config, Weights weights, Parallel parallel, boolean ownsParallel, Batching batching) {
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
        this.ownsParallel = ownsParallel;
        this.batching = batching;
        int hidden = config.hiddenSize(), inter = config.intermediateSize();
        this.embedding = matrix(TensorRole.EMBED.hf(), config.vocabSize(), hidden);
        Matrix lmHead = weights.contains(TensorRole.LM_HEAD.hf()) || !config.tieWordEmbeddings()
                ? matrix(TensorRole.LM_HEAD.hf(), config.vocabSize(), hidden)
                : embedding;
        this.finalNorm = vector(TensorRole.FINAL_NORM.hf(), hidden);
        Layer[] layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            Matrix[] qkv = {
                matrix(TensorRole.Q.hf(i), config.qDim(), hidden),
                matrix(TensorRole.K.hf(i), config.kvDim(), hidden),
                matrix(TensorRole.V.hf(i), config.kvDim(), hidden)
            };
            float[] bias = null;
            if (config.attentionBias()) {
                bias = concat(
                        vector(TensorRole.Q_BIAS.hf(i), config.qDim()),
                        vector(TensorRole.K_BIAS.hf(i), config.kvDim()),
                        vector(TensorRole.V_BIAS.hf(i), config.kvDim()));
            }
            float[] qNorm = config.qkNorm() ? vector(TensorRole.Q_NORM.hf(i), config.headDim()) : null;
            float[] kNorm = config.qkNorm() ? vector(TensorRole.K_NORM.hf(i), config.headDim()) : null;
            Matrix[] gateUp = null;
            Matrix down = null, router = null;
            Matrix[][] expertGateUp = null;
            Matrix[] expertDown = null;
            if (config.isMoeLayer(i)) {
                int experts = config.moe().numExperts(), eff = config.moe().moeIntermediateSize();
                router = matrix(TensorRole.ROUTER.hf(i), experts, hidden);
                expertGateUp = new Matrix[experts][];
                expertDown = new Matrix[experts];
                for (int e = 0; e < experts; e++) {
                    expertGateUp[e] = new Matrix[] {
                        matrix(TensorRole.EXPERT_GATE.hf(i, e), eff, hidden),
                        matrix(TensorRole.EXPERT_UP.hf(i, e), eff, hidden)
                    };
                    expertDown[e] = matrix(TensorRole.EXPERT_DOWN.hf(i, e), hidden, eff);
                }
            } else {
                gateUp = new Matrix[] {
                    matrix(TensorRole.GATE.hf(i), inter, hidden), matrix(TensorRole.UP.hf(i), inter, hidden)
                };
                down = matrix(TensorRole.DOWN.hf(i), hidden, inter);
            }
            layers[i] = new Layer(
                    vector(TensorRole.ATTN_NORM.hf(i), hidden),
                    qkv,
                    bias,
                    qNorm,
                    kNorm,
                    matrix(TensorRole.O.hf(i), hidden, config.qDim()),
                    vector(TensorRole.FFN_NORM.hf(i), hidden),
                    gateUp,
                    down,
                    router,
                    expertGateUp,
                    expertDown);
        }
        this.matrices = new Matrices(layers, lmHead, Boolean.getBoolean("veil.weights.mapped"));
    }

    /** Whether the quantized matrices have their decode layout yet ({@link Matrices}). */
    public boolean decodeLayout() {
        return matrices.decodeLayout();
    }

    /**
     * Gives the quantized matrices their decode layout now if this backend's products will read it ({@link
     * Batching#FASTEST}): a server does so before it takes requests, so its first request's first decode step does not
     * pay the repacking.
     */
    public void prepareDecode() {
        matrices(batching, 1);
    }

    /**
     * The matrices a product of {@code n} tokens under {@code b} reads: in their decode layout from the first product
     * that streams rows on.
     */
    private Matrices matrices(Batching b, int n) {
        Matrices m = matrices;
        if (m.decodeLayout() || !MatMul.streamsRows(b, n)) return m;
        synchronized (this) {
            if (!matrices.decodeLayout()) matrices = matrices.inDecodeLayout(parallel);
            return matrices;
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
        if (!t.dtype().isFloat())
            throw new IllegalArgumentException(
                    "tensor " + name + " has dtype " + t.dtype() + "; expected F32, F16 or BF16");
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
                throw new IllegalArgumentException(
                        "token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            embedding.widenRows(id, 1, out, t * hidden);
        }
    }

    @Override
    public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
        if (op != LinearOp.LM_HEAD) checkLayer(layer);
        Batching b = op == LinearOp.LM_HEAD ? headBatching(n) : batching;
        Matrices m = matrices(b, n);
        Layer l = op == LinearOp.LM_HEAD ? null : m.layers()[layer];
        switch (op) {
            case QKV -> {
                MatMul.multiply(parallel, withNormWeight(x, n, l.inputNorm), n, l.qkv, out, batching);
                if (l.qkvBias != null) VectorMath.addRows(out, n, l.qkvBias);
            }
            case O -> MatMul.multiply(parallel, x, n, new Matrix[] {l.o}, out, batching);
            case GATE_UP ->
                MatMul.multiply(parallel, withNormWeight(x, n, l.postNorm), n, dense(l, layer).gateUp, out, batching);
            case DOWN -> MatMul.multiply(parallel, x, n, new Matrix[] {dense(l, layer).down}, out, batching);
            case LM_HEAD ->
                MatMul.multiply(parallel, withNormWeight(x, n, finalNorm), n, new Matrix[] {m.lmHead()}, out, b);
        }
    }

    private Batching headBatching(int n) {
        boolean firstRow = batching == Batching.FASTEST
                && n == 1
                && matrices.lmHead().dtype().isQuantized()
                && !headRowKernelUsed.get()
                && !headRowKernelUsed.getAndSet(true);
        return firstRow ? Batching.INVARIANT : batching;
    }

    private static Layer dense(Layer l, int layer) {
        if (l.gateUp == null) throw new IllegalArgumentException("layer " + layer + " is a mixture-of-experts layer");
        return l;
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= config.numLayers())
            throw new IllegalArgumentException("layer " + layer + " is outside [0, " + config.numLayers() + ")");
    }

    private Layer moe(int layer, int n) {
        checkLayer(layer);
        Layer l = matrices(batching, n).layers()[layer];
        if (l.router == null) throw new IllegalArgumentException("layer " + layer + " has no experts");
        return l;
    }

    @Override
    public void applyQkNorm(int layer, float[] qkv, int n) {
        Layer l = matrices.layers()[layer];
        if (l.qNorm == null) throw new IllegalArgumentException("this model has no q_norm/k_norm");
        LinearBackend.scaleQkHeads(config, qkv, n, l.qNorm, l.kNorm);
    }

    @Override
    public void route(int layer, float[] x, int n, float[] out) {
        Layer l = moe(layer, n);
        MatMul.multiply(parallel, withNormWeight(x, n, l.postNorm), n, new Matrix[] {l.router}, out, batching);
    }

    @Override
    public void applyExpert(LinearOp op, int layer, int expert, float[] x, int n, float[] out) {
        Layer l = moe(layer, n);
        if (expert < 0 || expert >= l.expertDown.length)
            throw new IllegalArgumentException("expert " + expert + " is outside [0, " + l.expertDown.length + ")");
        switch (op) {
            case GATE_UP ->
                MatMul.multiply(parallel, withNormWeight(x, n, l.postNorm), n, l.expertGateUp[expert], out, batching);
            case DOWN -> MatMul.multiply(parallel, x, n, new Matrix[] {l.expertDown[expert]}, out, batching);
            default -> throw new IllegalArgumentException(op + " is not an expert product");
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
