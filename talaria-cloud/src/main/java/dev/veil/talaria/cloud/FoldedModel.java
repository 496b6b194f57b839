package dev.veil.talaria.cloud;

import dev.veil.engine.kernel.Matrix;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights as the weight holders (cloud and setup authority) use them: one product per {@link ModelName}, each
 * RMSNorm weight γ going with the matrices that read the normalised row (input γ with Q, K and V, post-attention γ
 * with gate and up, final γ with the LM head; {@link FoldedProduct} applies it to the input, which equals folding it
 * into the columns, {@code W' = W·diag(γ)}), Q|K|V and gate|up stacked, the head untied from the embedding, and the
 * embedding stored transposed so the one-hot product {@code onehot·E} is an ordinary {@code x·Wᵀ}. The client thus
 * sends norm(x) without γ and holds no weight.
 */
public final class FoldedModel {

    private final ModelConfig config;
    private final Map<ModelName, FoldedProduct> products;

    private final float[][] qkNorms;

    private FoldedModel(ModelConfig config, Map<ModelName, FoldedProduct> products, float[][] qkNorms) {
        this.config = config;
        this.products = products;
        this.qkNorms = qkNorms;
    }

    /**
     * Qwen3's q_norm / k_norm weights, which the cloud publishes to clients: {@code [2·layer]} is layer's γ_q,
     * {@code [2·layer + 1]} its γ_k (head_dim each); null for families without them. They act between the QKV
     * product and RoPE on per-head rows the client holds in plain, so the client applies them (docs/talaria.md).
     */
    public float[][] qkNorms() {
        return qkNorms == null ? null : qkNorms.clone();
    }

    public static FoldedModel fold(ModelConfig c, Weights w) {
        Map<ModelName, FoldedProduct> p = new LinkedHashMap<>();
        Tensor embed = w.shaped(TensorRole.EMBED.hf(), c.vocabSize(), c.hiddenSize());
        p.put(
                ModelName.EMBED,
                FoldedProduct.compensated(ModelName.EMBED, c.hiddenSize(), c.vocabSize(), transpose(embed)));
        for (int i = 0; i < c.numLayers(); i++) {
            float[] gammaIn = vector(w, TensorRole.ATTN_NORM.hf(i), c.hiddenSize());
            float[] gammaPost = vector(w, TensorRole.FFN_NORM.hf(i), c.hiddenSize());
            put(
                    p,
                    new ModelName(Product.QKV, i),
                    c,
                    gammaIn,
                    stack(w, c.hiddenSize(), TensorRole.Q.hf(i), TensorRole.K.hf(i), TensorRole.V.hf(i)),
                    c.attentionBias()
                            ? biases(w, TensorRole.Q_BIAS.hf(i), TensorRole.K_BIAS.hf(i), TensorRole.V_BIAS.hf(i))
                            : null);
            put(p, new ModelName(Product.O, i), c, null, stack(w, c.qDim(), TensorRole.O.hf(i)), null);
            if (c.isMoeLayer(i)) {
                put(
                        p,
                        new ModelName(Product.ROUTER, i),
                        c,
                        gammaPost,
                        stack(w, c.hiddenSize(), TensorRole.ROUTER.hf(i)),
                        null);
                for (int e = 0; e < c.moe().numExperts(); e++) {
                    put(
                            p,
                            new ModelName(Product.EXPERT_GATE_UP, i, e),
                            c,
                            gammaPost,
                            stack(w, c.hiddenSize(), TensorRole.EXPERT_GATE.hf(i, e), TensorRole.EXPERT_UP.hf(i, e)),
                            null);
                    put(
                            p,
                            new ModelName(Product.EXPERT_DOWN, i, e),
                            c,
                            null,
                            stack(w, c.moe().moeIntermediateSize(), TensorRole.EXPERT_DOWN.hf(i, e)),
                            null);
                }
            } else {
                put(
                        p,
                        new ModelName(Product.GATE_UP, i),
                        c,
                        gammaPost,
                        stack(w, c.hiddenSize(), TensorRole.GATE.hf(i), TensorRole.UP.hf(i)),
                        null);
                put(
                        p,
                        new ModelName(Product.DOWN, i),
                        c,
                        null,
                        stack(w, c.intermediateSize(), TensorRole.DOWN.hf(i)),
                        null);
            }
        }
        String head = !c.tieWordEmbeddings() && w.contains(TensorRole.LM_HEAD.hf())
                ? TensorRole.LM_HEAD.hf()
                : TensorRole.EMBED.hf();
        put(
                p,
                ModelName.LM_HEAD,
                c,
                vector(w, TensorRole.FINAL_NORM.hf(), c.hiddenSize()),
                stack(w, c.hiddenSize(), head),
                null);
        float[][] qkNorms = null;
        if (c.qkNorm()) {
            qkNorms = new float[2 * c.numLayers()][];
            for (int i = 0; i < c.numLayers(); i++) {
                qkNorms[2 * i] = vector(w, TensorRole.Q_NORM.hf(i), c.headDim());
                qkNorms[2 * i + 1] = vector(w, TensorRole.K_NORM.hf(i), c.headDim());
            }
        }
        return new FoldedModel(c, p, qkNorms);
    }

    public ModelConfig config() {
        return config;
    }

    public FoldedProduct get(ModelName name) {
        FoldedProduct p = products.get(name);
        if (p == null) throw new IllegalArgumentException("no product " + name);
        return p;
    }

    /** Stores the product of the named matrices (γ applied to the input) after checking its shape against the config. */
    private static void put(
            Map<ModelName, FoldedProduct> p,
            ModelName name,
            ModelConfig c,
            float[] gamma,
            Matrix[] stack,
            float[] bias) {
        p.put(name, new FoldedProduct(name, name.outDim(c), name.inDim(c), stack, gamma, bias));
    }

    /** The named [rows, cols] tensors as matrices over their own storage (no copy), to be multiplied as one stack. */
    private static Matrix[] stack(Weights w, int cols, String... names) {
        Matrix[] out = new Matrix[names.length];
        for (int i = 0; i < names.length; i++) {
            Tensor t = w.get(names[i]);
            if (t.rank() != 2 || t.cols() != cols)
                throw new IllegalArgumentException("tensor " + names[i] + " has shape " + Arrays.toString(t.shape())
                        + ", expected [*, " + cols + "]");
            out[i] = Matrix.of(t);
        }
        return out;
    }

    private static float[] biases(Weights w, String... names) {
        float[][] parts = new float[names.length][];
        int total = 0;
        for (int i = 0; i < names.length; i++) {
            parts[i] = w.get(names[i]).toFloats();
            total += parts[i].length;
        }
        float[] out = new float[total];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    private static float[] vector(Weights w, String name, int length) {
        return w.shaped(name, length).toFloats();
    }

    /** E [V, d] as Eᵀ [d, V]. */
    private static float[] transpose(Tensor e) {
        int rows = e.rows(), cols = e.cols();
        float[] src = e.toFloats(), out = new float[src.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
        return out;
    }
}
