package dev.veil.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors a Llama/Qwen2 checkpoint must hold for a given {@link ModelConfig}: Hugging Face names and shapes
 * (PyTorch [out, in] layout), in the order Hugging Face writes them.
 */
public final class ModelTensors {
    public static final String EMBED = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    private ModelTensors() {}

    /** Name -> shape of every tensor the model needs, in checkpoint order. */
    public static Map<String, long[]> expected(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize();
        m.put(EMBED, new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numLayers(); i++) {
            m.put(ModelConfig.layer(i, "input_layernorm.weight"), new long[] {h});
            m.put(ModelConfig.layer(i, "self_attn.q_proj.weight"), new long[] {q, h});
            m.put(ModelConfig.layer(i, "self_attn.k_proj.weight"), new long[] {kv, h});
            m.put(ModelConfig.layer(i, "self_attn.v_proj.weight"), new long[] {kv, h});
            if (c.attentionBias()) {
                m.put(ModelConfig.layer(i, "self_attn.q_proj.bias"), new long[] {q});
                m.put(ModelConfig.layer(i, "self_attn.k_proj.bias"), new long[] {kv});
                m.put(ModelConfig.layer(i, "self_attn.v_proj.bias"), new long[] {kv});
            }
            m.put(ModelConfig.layer(i, "self_attn.o_proj.weight"), new long[] {h, q});
            m.put(ModelConfig.layer(i, "post_attention_layernorm.weight"), new long[] {h});
            m.put(ModelConfig.layer(i, "mlp.gate_proj.weight"), new long[] {ff, h});
            m.put(ModelConfig.layer(i, "mlp.up_proj.weight"), new long[] {ff, h});
            m.put(ModelConfig.layer(i, "mlp.down_proj.weight"), new long[] {h, ff});
        }
        m.put(FINAL_NORM, new long[] {h});
        if (!c.tieWordEmbeddings()) m.put(LM_HEAD, new long[] {c.vocabSize(), h});
        return m;
    }

    /**
     * Checks that {@code w} holds every expected tensor with the expected shape and a float dtype, and nothing the
     * engine would silently ignore (such as an o_proj bias). Errors name {@code source} and the tensor.
     */
    public static void validate(ModelConfig c, Weights w, Object source) {
        for (var e : expected(c).entrySet()) {
            if (!w.contains(e.getKey()))
                throw new IllegalArgumentException(source + ": missing tensor '" + e.getKey() + "'");
            Tensor t = w.get(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue()))
                throw new IllegalArgumentException(source + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + " but config.json implies " + Arrays.toString(e.getValue()));
            if (!t.dtype().isWeight() || (t.rank() == 1 && !t.dtype().isFloat()))
                throw new IllegalArgumentException(source + ": tensor '" + e.getKey() + "' has unsupported dtype " + t.dtype()
                        + " (Veil runs F32, F16, BF16, Q8_0, Q5_0, Q4_K and Q6_K weights; norms and biases in float)");
        }
        for (String name : w.names()) {
            if (name.endsWith("o_proj.bias") || name.endsWith("mlp.gate_proj.bias") || name.endsWith("mlp.up_proj.bias")
                    || name.endsWith("mlp.down_proj.bias"))
                throw new IllegalArgumentException(source + ": tensor '" + name + "' is a bias Veil's engine does not apply (unsupported model)");
        }
    }
}
