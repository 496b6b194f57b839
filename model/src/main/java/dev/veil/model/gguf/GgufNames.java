package dev.veil.model.gguf;

import dev.veil.model.TensorRole;
import dev.veil.model.TensorRole.Scope;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** llama.cpp tensor names (llama-arch.cpp / gguf-py constants.py) <-> Hugging Face names, from {@link TensorRole}. */
public final class GgufNames {
    private GgufNames() {}

    /** llama.cpp's llama3 RoPE frequency factors; no Hugging Face tensor corresponds. */
    public static final String ROPE_FREQS = "rope_freqs.weight";

    private static final Pattern GGUF_LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern HF_EXPERT = Pattern.compile("mlp\\.experts\\.(\\d+)\\.(.+)");

    /**
     * The Hugging Face name of a GGUF tensor, or null when it has none: rope_freqs, and the stacked expert tensors
     * (one per layer in GGUF, one per expert in Hugging Face checkpoints; {@link GgufModel} slices them).
     */
    public static String toHf(String gguf) {
        Matcher m = GGUF_LAYER.matcher(gguf);
        if (m.matches()) {
            for (TensorRole r : TensorRole.values())
                if (r.scope == Scope.LAYER && r.ggufSuffix().equals(m.group(2)))
                    return r.hf(Integer.parseInt(m.group(1)));
            return null;
        }
        for (TensorRole r : TensorRole.values())
            if (r.scope == Scope.MODEL && r.ggufSuffix().equals(gguf)) return r.hf();
        return null;
    }

    /** The GGUF name of a Hugging Face tensor (an expert's: its layer's stacked tensor), or null when llama.cpp has none. */
    public static String toGguf(String hf) {
        Matcher m = HF_LAYER.matcher(hf);
        if (m.matches()) {
            int layer = Integer.parseInt(m.group(1));
            String rest = m.group(2);
            Matcher e = HF_EXPERT.matcher(rest);
            for (TensorRole r : TensorRole.values()) {
                if (r.scope == Scope.LAYER && r.hfSuffix().equals(rest)) return r.gguf(layer);
                if (r.scope == Scope.EXPERT && e.matches() && r.hfSuffix().equals("mlp.experts.%d." + e.group(2)))
                    return r.gguf(layer);
            }
            return null;
        }
        for (TensorRole r : TensorRole.values()) if (r.scope == Scope.MODEL && r.hf().equals(hf)) return r.gguf(-1);
        return null;
    }

    /** True for the Q and K projections (weights and biases), whose rows llama.cpp's llama graph wants interleaved. */
    static boolean isQ(String hf) {
        return hf.endsWith(TensorRole.Q.hfSuffix()) || hf.endsWith(TensorRole.Q_BIAS.hfSuffix());
    }

    static boolean isK(String hf) {
        return hf.endsWith(TensorRole.K.hfSuffix()) || hf.endsWith(TensorRole.K_BIAS.hfSuffix());
    }
}
