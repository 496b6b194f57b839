package dev.veil.talaria.cloud;

import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights as the weight holders (cloud and setup authority) use them: one F32 matrix per {@link ModelName}, with
 * each RMSNorm weight γ folded into the columns of the matrices that read the normalised row
 * ({@code W' = W·diag(γ)}: input γ into Q, K and V, post-attention γ into gate and up, final γ into the LM head),
 * Q|K|V and gate|up stacked, the head untied from the embedding, and the embedding stored transposed so the one-hot
 * product {@code onehot·E} is an ordinary {@code x·Wᵀ}. The client thus sends norm(x) without γ and holds no weight.
 */
public final class FoldedModel {

    private final ModelConfig config;
    private final Map<ModelName, FoldedProduct> products;

    private FoldedModel(ModelConfig config, Map<ModelName, FoldedProduct> products) {
        this.config = config;
        this.products = products;
    }

    public static FoldedModel fold(ModelConfig c, Weights w) {
        Map<ModelName, FoldedProduct> p = new LinkedHashMap<>();
        Tensor embed = w.get("model.embed_tokens.weight");
        check(embed, c.vocabSize(), c.hiddenSize());
        p.put(ModelName.EMBED, new FoldedProduct(ModelName.EMBED, c.hiddenSize(), c.vocabSize(), transpose(embed), null));
        for (int i = 0; i < c.numLayers(); i++) {
            float[] gammaIn = vector(w, ModelConfig.layer(i, "input_layernorm.weight"), c.hiddenSize());
            float[] gammaPost = vector(w, ModelConfig.layer(i, "post_attention_layernorm.weight"), c.hiddenSize());
            String attn = ModelConfig.layer(i, "self_attn.");
            String mlp = ModelConfig.layer(i, "mlp.");
            put(p, new ModelName(Product.QKV, i), c, gammaIn,
                    stack(w, c.hiddenSize(), attn + "q_proj.weight", attn + "k_proj.weight", attn + "v_proj.weight"),
                    c.attentionBias() ? biases(w, attn + "q_proj.bias", attn + "k_proj.bias", attn + "v_proj.bias") : null);
            put(p, new ModelName(Product.O, i), c, null, stack(w, c.qDim(), attn + "o_proj.weight"), null);
            put(p, new ModelName(Product.GATE_UP, i), c, gammaPost,
                    stack(w, c.hiddenSize(), mlp + "gate_proj.weight", mlp + "up_proj.weight"), null);
            put(p, new ModelName(Product.DOWN, i), c, null, stack(w, c.intermediateSize(), mlp + "down_proj.weight"), null);
        }
        String head = !c.tieWordEmbeddings() && w.contains("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
        put(p, ModelName.LM_HEAD, c, vector(w, "model.norm.weight", c.hiddenSize()), stack(w, c.hiddenSize(), head), null);
        return new FoldedModel(c, p);
    }

    public ModelConfig config() {
        return config;
    }

    public FoldedProduct get(ModelName name) {
        FoldedProduct p = products.get(name);
        if (p == null) throw new IllegalArgumentException("no product " + name);
        return p;
    }

    /** Stores {@code weight·diag(gamma)} after checking its shape against the config. */
    private static void put(Map<ModelName, FoldedProduct> p, ModelName name, ModelConfig c, float[] gamma, float[] weight, float[] bias) {
        int out = name.outDim(c), in = name.inDim(c);
        if (weight.length != (long) out * in)
            throw new IllegalArgumentException(name + ": weights hold " + weight.length + " values, the config implies ["
                    + out + ", " + in + "]");
        if (gamma != null)
            for (int r = 0; r < out; r++)
                for (int k = 0; k < in; k++) weight[r * in + k] *= gamma[k];
        p.put(name, new FoldedProduct(name, out, in, weight, bias));
    }

    /** The named [rows, cols] matrices one under another, as a fresh F32 array. */
    private static float[] stack(Weights w, int cols, String... names) {
        Tensor[] ts = new Tensor[names.length];
        long total = 0;
        for (int i = 0; i < names.length; i++) {
            ts[i] = w.get(names[i]);
            if (ts[i].rank() != 2 || ts[i].cols() != cols)
                throw new IllegalArgumentException("tensor " + names[i] + " has shape " + java.util.Arrays.toString(ts[i].shape())
                        + ", expected [*, " + cols + "]");
            total += ts[i].size();
        }
        float[] out = new float[Math.toIntExact(total)];
        int at = 0;
        for (Tensor t : ts) {
            float[] f = t.toFloats();
            System.arraycopy(f, 0, out, at, f.length);
            at += f.length;
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
        Tensor t = w.get(name);
        if (t.rank() != 1 || t.cols() != length)
            throw new IllegalArgumentException("tensor " + name + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + length + "]");
        return t.toFloats();
    }

    private static void check(Tensor t, int rows, int cols) {
        if (t.rank() != 2 || t.rows() != rows || t.cols() != cols)
            throw new IllegalArgumentException("tensor " + t.name() + " has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected [" + rows + ", " + cols + "]");
    }

    /** E [V, d] as Eᵀ [d, V]. */
    private static float[] transpose(Tensor e) {
        int rows = e.rows(), cols = e.cols();
        float[] src = e.toFloats(), out = new float[src.length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
        return out;
    }
}
