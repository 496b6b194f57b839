package dev.veil.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The architecture description: every tensor a Llama / Qwen2 / Qwen3 / Qwen3-MoE checkpoint can hold, one row each,
 * with its Hugging Face name, its llama.cpp (GGUF) name, its shape and when a config has it. Formats (safetensors,
 * GGUF import and export), the engine's backend and the Talaria cloud take names and shapes from here, so adding a
 * family means adding its rows (and an {@link ModelConfig.Architecture} constant), not editing each reader.
 *
 * <p>Shapes are Hugging Face's (PyTorch {@code [out, in]}). Experts are one tensor per expert in Hugging Face
 * checkpoints ({@code mlp.experts.E.gate_proj.weight}) and one stacked {@code [experts, out, in]} tensor per layer
 * in GGUF ({@code blk.N.ffn_gate_exps.weight}); {@link #ggufShape} gives the stacked shape.
 */
public enum TensorRole {
    EMBED(Scope.MODEL, "model.embed_tokens.weight", "token_embd.weight"),
    ATTN_NORM(Scope.LAYER, "input_layernorm.weight", "attn_norm.weight"),
    Q(Scope.LAYER, "self_attn.q_proj.weight", "attn_q.weight"),
    K(Scope.LAYER, "self_attn.k_proj.weight", "attn_k.weight"),
    V(Scope.LAYER, "self_attn.v_proj.weight", "attn_v.weight"),
    Q_BIAS(Scope.LAYER, "self_attn.q_proj.bias", "attn_q.bias"),
    K_BIAS(Scope.LAYER, "self_attn.k_proj.bias", "attn_k.bias"),
    V_BIAS(Scope.LAYER, "self_attn.v_proj.bias", "attn_v.bias"),
    O(Scope.LAYER, "self_attn.o_proj.weight", "attn_output.weight"),
    /** Qwen3: RMSNorm weight over head_dim, shared by all query heads. */
    Q_NORM(Scope.LAYER, "self_attn.q_norm.weight", "attn_q_norm.weight"),
    K_NORM(Scope.LAYER, "self_attn.k_norm.weight", "attn_k_norm.weight"),
    FFN_NORM(Scope.LAYER, "post_attention_layernorm.weight", "ffn_norm.weight"),
    GATE(Scope.LAYER, "mlp.gate_proj.weight", "ffn_gate.weight"),
    UP(Scope.LAYER, "mlp.up_proj.weight", "ffn_up.weight"),
    DOWN(Scope.LAYER, "mlp.down_proj.weight", "ffn_down.weight"),
    /** MoE router: one logit per expert. */
    ROUTER(Scope.LAYER, "mlp.gate.weight", "ffn_gate_inp.weight"),
    EXPERT_GATE(Scope.EXPERT, "mlp.experts.%d.gate_proj.weight", "ffn_gate_exps.weight"),
    EXPERT_UP(Scope.EXPERT, "mlp.experts.%d.up_proj.weight", "ffn_up_exps.weight"),
    EXPERT_DOWN(Scope.EXPERT, "mlp.experts.%d.down_proj.weight", "ffn_down_exps.weight"),
    FINAL_NORM(Scope.MODEL, "model.norm.weight", "output_norm.weight"),
    LM_HEAD(Scope.MODEL, "lm_head.weight", "output.weight");

    /** Whether a tensor exists once per model, per layer, or per expert of a layer. */
    public enum Scope {
        MODEL,
        LAYER,
        EXPERT
    }

    public final Scope scope;
    private final String hf;
    private final String gguf;

    TensorRole(Scope scope, String hf, String gguf) {
        this.scope = scope;
        this.hf = hf;
        this.gguf = gguf;
    }

    /** The Hugging Face name of a model-wide tensor. */
    public String hf() {
        requireScope(Scope.MODEL);
        return hf;
    }

    /** The Hugging Face name in layer {@code layer}. */
    public String hf(int layer) {
        requireScope(Scope.LAYER);
        return "model.layers." + layer + "." + hf;
    }

    /** The Hugging Face name of expert {@code expert} in layer {@code layer}. */
    public String hf(int layer, int expert) {
        requireScope(Scope.EXPERT);
        return "model.layers." + layer + "." + hf.formatted(expert);
    }

    /** The GGUF name ({@code layer} is ignored for model-wide tensors; experts share their layer's stacked tensor). */
    public String gguf(int layer) {
        return scope == Scope.MODEL ? gguf : "blk." + layer + "." + gguf;
    }

    /** The name after {@code model.layers.N.} (Hugging Face, {@code %d} for the expert) or {@code blk.N.} (GGUF). */
    public String hfSuffix() {
        return hf;
    }

    public String ggufSuffix() {
        return gguf;
    }

    /** Whether {@code c} has this tensor in layer {@code layer} ({@code layer} is ignored for model-wide tensors). */
    public boolean present(ModelConfig c, int layer) {
        return switch (this) {
            case Q_BIAS, K_BIAS, V_BIAS -> c.attentionBias();
            case Q_NORM, K_NORM -> c.qkNorm();
            case GATE, UP, DOWN -> !c.isMoeLayer(layer);
            case ROUTER, EXPERT_GATE, EXPERT_UP, EXPERT_DOWN -> c.isMoeLayer(layer);
            case LM_HEAD -> !c.tieWordEmbeddings();
            default -> true;
        };
    }

    /** The Hugging Face shape (one expert's for expert tensors). */
    public long[] shape(ModelConfig c) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize();
        long eff = c.moe() == null ? 0 : c.moe().moeIntermediateSize();
        return switch (this) {
            case EMBED, LM_HEAD -> new long[] {c.vocabSize(), h};
            case ATTN_NORM, FFN_NORM, FINAL_NORM -> new long[] {h};
            case Q -> new long[] {q, h};
            case K, V -> new long[] {kv, h};
            case Q_BIAS -> new long[] {q};
            case K_BIAS, V_BIAS -> new long[] {kv};
            case O -> new long[] {h, q};
            case Q_NORM, K_NORM -> new long[] {c.headDim()};
            case GATE, UP -> new long[] {ff, h};
            case DOWN -> new long[] {h, ff};
            case ROUTER -> new long[] {c.moe().numExperts(), h};
            case EXPERT_GATE, EXPERT_UP -> new long[] {eff, h};
            case EXPERT_DOWN -> new long[] {h, eff};
        };
    }

    /** The GGUF shape (PyTorch order): expert tensors stacked as {@code [experts, out, in]}. */
    public long[] ggufShape(ModelConfig c) {
        long[] s = shape(c);
        if (scope != Scope.EXPERT) return s;
        return new long[] {c.moe().numExperts(), s[0], s[1]};
    }

    /** One tensor of a checkpoint: its role, layer (-1 for model-wide), expert (-1 unless an expert's). */
    public record Entry(TensorRole role, int layer, int expert, String name, long[] shape) {}

    /**
     * Every Hugging Face tensor {@code c} implies, in checkpoint order (embedding, layer by layer, final norm, head).
     */
    public static List<Entry> hfTensors(ModelConfig c) {
        List<Entry> out = new ArrayList<>();
        add(out, EMBED, c, false);
        for (int i = 0; i < c.numLayers(); i++)
            for (TensorRole r : values()) {
                if (r.scope == Scope.MODEL || !r.present(c, i)) continue;
                if (r.scope == Scope.LAYER) out.add(new Entry(r, i, -1, r.hf(i), r.shape(c)));
                else for (int e = 0; e < c.moe().numExperts(); e++) out.add(new Entry(r, i, e, r.hf(i, e), r.shape(c)));
            }
        add(out, FINAL_NORM, c, false);
        add(out, LM_HEAD, c, false);
        return out;
    }

    /** Every GGUF tensor {@code c} implies (experts stacked per layer), in the order llama.cpp's converter writes. */
    public static List<Entry> ggufTensors(ModelConfig c) {
        List<Entry> out = new ArrayList<>();
        add(out, EMBED, c, true);
        for (int i = 0; i < c.numLayers(); i++)
            for (TensorRole r : values())
                if (r.scope != Scope.MODEL && r.present(c, i)) out.add(new Entry(r, i, -1, r.gguf(i), r.ggufShape(c)));
        add(out, FINAL_NORM, c, true);
        add(out, LM_HEAD, c, true);
        return out;
    }

    private static void add(List<Entry> out, TensorRole r, ModelConfig c, boolean gguf) {
        if (r.present(c, -1)) out.add(new Entry(r, -1, -1, gguf ? r.gguf : r.hf, r.shape(c)));
    }

    private void requireScope(Scope s) {
        if (scope != s)
            throw new IllegalArgumentException(this + " is a " + scope.name().toLowerCase() + " tensor");
    }
}
