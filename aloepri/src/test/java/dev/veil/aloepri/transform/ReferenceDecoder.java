package dev.veil.aloepri.transform;

import dev.veil.engine.kernel.Rope;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.function.Consumer;

/**
 * A deliberately naive decoder over Hugging Face weights (RMSNorm with its weight, RoPE, GQA, SwiGLU), built
 * from {@link Reference}'s ops: an oracle for the compiler's tests that shares no code with the compiler.
 */
public final class ReferenceDecoder {

    private ReferenceDecoder() {}

    /** Logits [tokens.length, vocab] of a full forward pass over {@code tokens}. */
    public static WeightMatrix logits(Weights w, ModelConfig c, int[] tokens) {
        return logits(w, c, tokens, m -> {});
    }

    /** As {@link #logits(Weights, ModelConfig, int[])}, telling {@code residualWrites} each write into the residual stream. */
    public static WeightMatrix logits(Weights w, ModelConfig c, int[] tokens, Consumer<WeightMatrix> residualWrites) {
        WeightMatrix embed = WeightMatrix.of(w.get("model.embed_tokens.weight"));
        WeightMatrix x = embed.gatherRows(tokens);
        residualWrites.accept(x);
        double[] inv = Rope.of(c).inverseFrequencies();
        for (int l = 0; l < c.numLayers(); l++) {
            WeightMatrix a = norm(x, w, ModelConfig.layer(l, "input_layernorm.weight"), c);
            AttentionWeights attn = new AttentionWeights(
                    m(w, l, "self_attn.q_proj.weight"),
                    m(w, l, "self_attn.k_proj.weight"),
                    m(w, l, "self_attn.v_proj.weight"),
                    m(w, l, "self_attn.o_proj.weight"),
                    v(w, l, "self_attn.q_proj.bias"),
                    v(w, l, "self_attn.k_proj.bias"),
                    v(w, l, "self_attn.v_proj.bias"));
            WeightMatrix o = Reference.attention(a, attn, c.numHeads(), c.numKvHeads(), c.headDim(), inv);
            residualWrites.accept(o);
            x = add(x, o);
            a = norm(x, w, ModelConfig.layer(l, "post_attention_layernorm.weight"), c);
            WeightMatrix f = Reference.ffn(
                    a,
                    new FfnWeights(
                            m(w, l, "mlp.gate_proj.weight"),
                            m(w, l, "mlp.up_proj.weight"),
                            m(w, l, "mlp.down_proj.weight")));
            residualWrites.accept(f);
            x = add(x, f);
        }
        WeightMatrix head =
                WeightMatrix.of(w.get(w.contains("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight"));
        return Reference.linear(norm(x, w, "model.norm.weight", c), head, null);
    }

    private static WeightMatrix norm(WeightMatrix x, Weights w, String name, ModelConfig c) {
        return Reference.rmsNormalize(x, c.rmsNormEps())
                .scaleColumns(w.get(name).toFloats());
    }

    private static WeightMatrix m(Weights w, int l, String name) {
        return WeightMatrix.of(w.get(ModelConfig.layer(l, name)));
    }

    private static float[] v(Weights w, int l, String name) {
        String n = ModelConfig.layer(l, name);
        return w.contains(n) ? w.get(n).toFloats() : null;
    }

    private static WeightMatrix add(WeightMatrix a, WeightMatrix b) {
        float[] s = a.data().clone();
        for (int i = 0; i < s.length; i++) s[i] += b.data()[i];
        return new WeightMatrix(a.rows(), a.cols(), s);
    }
}
