package dev.veil.model.gguf;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** llama.cpp tensor names (llama-arch.cpp / gguf-py constants.py) <-> Hugging Face names, for llama and qwen2. */
public final class GgufNames {
    private GgufNames() {}

    /** llama.cpp's llama3 RoPE frequency factors; no Hugging Face tensor corresponds. */
    public static final String ROPE_FREQS = "rope_freqs.weight";

    private static final Map<String, String> GLOBAL = Map.of(
            "token_embd", "model.embed_tokens",
            "output_norm", "model.norm",
            "output", "lm_head");

    private static final Map<String, String> LAYER = Map.of(
            "attn_norm", "input_layernorm",
            "attn_q", "self_attn.q_proj",
            "attn_k", "self_attn.k_proj",
            "attn_v", "self_attn.v_proj",
            "attn_output", "self_attn.o_proj",
            "ffn_norm", "post_attention_layernorm",
            "ffn_gate", "mlp.gate_proj",
            "ffn_up", "mlp.up_proj",
            "ffn_down", "mlp.down_proj");

    private static final Pattern GGUF_LAYER = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.(weight|bias)");
    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Pattern GLOBAL_NAME = Pattern.compile("(.+)\\.(weight|bias)");

    /** The Hugging Face name of a GGUF tensor, or null when it has none (e.g. rope_freqs). */
    public static String toHf(String gguf) {
        Matcher m = GGUF_LAYER.matcher(gguf);
        if (m.matches()) {
            String hf = LAYER.get(m.group(2));
            return hf == null ? null : "model.layers." + m.group(1) + "." + hf + "." + m.group(3);
        }
        m = GLOBAL_NAME.matcher(gguf);
        if (m.matches() && GLOBAL.containsKey(m.group(1))) return GLOBAL.get(m.group(1)) + "." + m.group(2);
        return null;
    }

    /** The GGUF name of a Hugging Face tensor, or null when llama.cpp has none. */
    public static String toGguf(String hf) {
        Matcher m = HF_LAYER.matcher(hf);
        if (m.matches()) {
            for (var e : LAYER.entrySet())
                if (e.getValue().equals(m.group(2))) return "blk." + m.group(1) + "." + e.getKey() + "." + m.group(3);
            return null;
        }
        m = GLOBAL_NAME.matcher(hf);
        if (m.matches())
            for (var e : GLOBAL.entrySet())
                if (e.getValue().equals(m.group(1))) return e.getKey() + "." + m.group(2);
        return null;
    }

    /** True for the Q and K projections (weights and biases), whose rows llama.cpp's llama graph wants interleaved. */
    static boolean isQ(String hf) {
        return hf.endsWith("self_attn.q_proj.weight") || hf.endsWith("self_attn.q_proj.bias");
    }

    static boolean isK(String hf) {
        return hf.endsWith("self_attn.k_proj.weight") || hf.endsWith("self_attn.k_proj.bias");
    }
}
