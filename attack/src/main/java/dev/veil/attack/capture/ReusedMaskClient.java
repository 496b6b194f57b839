package dev.veil.attack.capture;

import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A strawman split-inference client, <em>not</em> a Veil option: every row sent to a hidden-state product carries the
 * same additive mask r (one per product, rms {@code scale·√in} per coordinate, Veil's mask scale for rows of rms 1)
 * for the client's whole lifetime — the
 * setting in which differencing across calls cancels the mask. It exists so the differencing attack has a setting it
 * must break. Its unmasking term r·Wᵀ is computed from {@code reference} (standing in for a setup authority); the rows
 * still travel to the real cloud, where a recorder sees them. Embedding rows travel in the clear.
 */
public final class ReusedMaskClient implements LinearBackend {

    private final CloudConnection cloud;
    private final LinearBackend reference;
    private final ModelConfig config;
    private final double scale;
    private final long seed;
    private final Map<ModelName, float[][]> masks = new HashMap<>(); // r and r·Wᵀ per product

    public ReusedMaskClient(CloudConnection cloud, LinearBackend reference, double scale, long seed) {
        this.cloud = cloud;
        this.reference = reference;
        this.config = reference.config();
        this.scale = scale;
        this.seed = seed;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public void embed(int[] tokens, float[] out) {
        int v = config.vocabSize();
        float[] oneHot = new float[tokens.length * v];
        for (int i = 0; i < tokens.length; i++) oneHot[i * v + tokens[i]] = 1f;
        float[] y = cloud.infer(ModelName.EMBED, oneHot, tokens.length, v, config.hiddenSize());
        System.arraycopy(y, 0, out, 0, y.length);
    }

    @Override
    public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
        ModelName name = ModelName.of(Product.of(op), layer);
        int in = op.inDim(config), outDim = op.outDim(config);
        float[][] m = masks.computeIfAbsent(name, k -> mask(op, layer, in, outDim));
        float[] z = new float[n * in];
        for (int i = 0; i < n * in; i++) z[i] = x[i] + m[0][i % in];
        float[] y = cloud.infer(name, z, n, in, outDim);
        for (int i = 0; i < n * outDim; i++) out[i] = y[i] - m[1][i % outDim];
    }

    /** r and r·Wᵀ (bias-free: the reference's product of r minus its product of zero). */
    private float[][] mask(LinearOp op, int layer, int in, int outDim) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + op.ordinal() * 1009L + layer);
        float[] r = new float[in];
        for (int i = 0; i < in; i++) r[i] = (float) (scale * Math.sqrt(in) * rnd.nextGaussian());
        float[] rw = new float[outDim], bias = new float[outDim];
        reference.apply(op, layer, r, 1, rw);
        reference.apply(op, layer, new float[in], 1, bias);
        for (int i = 0; i < outDim; i++) rw[i] -= bias[i];
        return new float[][] {r, rw};
    }
}
