package dev.veil.model.gguf;

import static dev.veil.model.gguf.GgufKeys.*;

import dev.veil.model.DType;
import dev.veil.model.GenerationConfig;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelConfig.Moe;
import dev.veil.model.ModelConfig.RopeScaling;
import dev.veil.model.Tensor;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A llama/qwen2/qwen3/qwen3moe GGUF seen as a Hugging Face model: its {@link ModelConfig} rebuilt from the metadata,
 * and its tensors under Hugging Face names in Hugging Face layout (Q/K rows of llama-architecture files put back in
 * rotate-half order, each expert a slice of its layer's stacked expert tensor).
 */
public final class GgufModel {
    private GgufModel() {}

    /** The config.json equivalent of a GGUF's metadata and tensor table. */
    public static ModelConfig config(GgufFile g) throws IOException {
        try {
            return readConfig(g);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IOException(m.startsWith(g.path().toString()) ? m : g.path() + ": " + m);
        }
    }

    private static ModelConfig readConfig(GgufFile g) throws IOException {
        String arch = g.getString(ARCHITECTURE, null);
        if (arch == null) throw new IOException(g.path() + ": missing metadata key '" + ARCHITECTURE + "'");
        if (!readable(arch))
            throw new IOException(g.path() + ": unsupported architecture '" + arch
                    + "' (Veil reads llama, qwen2, qwen3 and qwen3moe GGUFs)");
        String p = arch + ".";
        GgufTensorInfo embed = g.tensorInfo("token_embd.weight");
        if (embed == null) throw new IOException(g.path() + ": missing tensor 'token_embd.weight'");
        if (embed.ne().length != 2) throw new IOException(g.path() + ": token_embd.weight is not 2-D");
        int hidden = g.getInt(p + EMBEDDING_LENGTH);
        int heads = g.getInt(p + HEAD_COUNT);
        int kvHeads = g.getInt(p + HEAD_COUNT_KV, heads);
        int headDim = g.getInt(p + KEY_LENGTH, hidden / heads);
        if (g.getInt(p + VALUE_LENGTH, headDim) != headDim)
            throw new IOException(g.path() + ": key_length " + headDim + " != value_length "
                    + g.getInt(p + VALUE_LENGTH, headDim) + " (unsupported)");
        boolean bias = g.tensorInfo(TensorRole.Q_BIAS.gguf(0)) != null;
        Architecture architecture = architecture(g, arch, bias);
        Moe moe = null;
        if (architecture.moe) {
            // llama.cpp's qwen3moe graph: every layer sparse, softmax router, top-k weights renormalised
            int experts = g.getInt(p + EXPERT_COUNT);
            moe = new Moe(
                    experts,
                    g.getInt(p + EXPERT_USED_COUNT),
                    g.getInt(p + EXPERT_FEED_FORWARD_LENGTH),
                    true,
                    1,
                    List.of());
        }
        double theta = shortest(g.getFloat(p + ROPE_FREQ_BASE, 10000f));
        RopeScaling scaling = ropeScaling(g, headDim, theta);
        List<Integer> eos = new ArrayList<>();
        if (g.contains(VEIL_EOS_IDS)) {
            for (int id : g.getIntArray(VEIL_EOS_IDS)) eos.add(id);
        } else if (g.contains(EOS_ID)) {
            eos.add(g.getInt(EOS_ID));
            if (g.contains(EOT_ID) && g.getInt(EOT_ID) != eos.getFirst()) eos.add(g.getInt(EOT_ID));
        }
        return ModelConfig.of(
                        architecture,
                        Math.toIntExact(embed.ne()[1]),
                        hidden,
                        g.getInt(p + FEED_FORWARD_LENGTH),
                        g.getInt(p + BLOCK_COUNT),
                        heads,
                        kvHeads,
                        headDim,
                        moe)
                .withNorm(shortest(g.getFloat(p + RMS_EPS, 1e-6f)), theta, scaling)
                .withTokens(
                        g.getInt(p + CONTEXT_LENGTH, 2048),
                        g.tensorInfo(TensorRole.LM_HEAD.gguf(-1)) == null,
                        bias,
                        g.getInt(BOS_ID, -1),
                        eos)
                .withTorchDtype(torchDtype(g.getInt(FILE_TYPE, FILE_TYPE_F32)));
    }

    /** The generation defaults a GGUF carries: its special token ids. */
    public static GenerationConfig generation(GgufFile g, ModelConfig config) {
        return GenerationConfig.of(config.bosTokenId(), config.eosTokenIds());
    }

    /** The tensors under Hugging Face names; valid while {@code g} is open. */
    public static Weights weights(GgufFile g, ModelConfig config) {
        return new HfView(g, config);
    }

    /** Whether Veil reads GGUFs of llama.cpp architecture {@code arch}. */
    public static boolean readable(String arch) {
        if (arch.equals("qwen2")) return true;
        for (Architecture a : Architecture.values()) if (a.ggufArch.equals(arch)) return true;
        return false;
    }

    private static Architecture architecture(GgufFile g, String arch, boolean bias) throws IOException {
        String hf = g.getString(VEIL_HF_ARCHITECTURE, null);
        if (hf != null) {
            for (Architecture a : Architecture.values())
                if (a.hfClass.equals(hf)) {
                    if (!a.ggufArch.equals(arch) && !(a == Architecture.QWEN2 && arch.equals("qwen2")))
                        throw new IOException(g.path() + ": " + VEIL_HF_ARCHITECTURE + " '" + hf
                                + "' does not match architecture '" + arch + "'");
                    return a;
                }
            throw new IOException(g.path() + ": unsupported " + VEIL_HF_ARCHITECTURE + " '" + hf + "'");
        }
        if (arch.equals(Architecture.QWEN3.ggufArch)) return Architecture.QWEN3;
        if (arch.equals(Architecture.QWEN3_MOE.ggufArch)) return Architecture.QWEN3_MOE;
        // Hugging Face's Llama puts a bias on o_proj too whenever q/k/v have one; q/k/v biases alone are Qwen2's.
        if (arch.equals("qwen2") || (bias && g.tensorInfo("blk.0.attn_output.bias") == null)) return Architecture.QWEN2;
        return Architecture.LLAMA;
    }

    private static RopeScaling ropeScaling(GgufFile g, int headDim, double theta) throws IOException {
        if (g.contains(VEIL_ROPE_FACTOR))
            return new RopeScaling(
                    shortest(g.getFloat(VEIL_ROPE_FACTOR, 8)),
                    shortest(g.getFloat(VEIL_ROPE_LOW, 1)),
                    shortest(g.getFloat(VEIL_ROPE_HIGH, 4)),
                    g.getInt(VEIL_ROPE_ORIGINAL_CONTEXT, 8192));
        if (g.tensorInfo(GgufNames.ROPE_FREQS) == null) return null;
        // A third-party llama3 GGUF keeps only the factors: recover the parameters assuming Llama 3's low/high
        // frequency factors and original context, and accept them only if they reproduce the stored factors.
        float[] stored = g.tensor(GgufNames.ROPE_FREQS).toFloats();
        float max = 1;
        for (float f : stored) max = Math.max(max, f);
        RopeScaling guess = new RopeScaling(shortest(max), 1.0, 4.0, 8192);
        float[] recomputed = Llama3Rope.factors(headDim, theta, guess);
        if (stored.length != recomputed.length || Llama3Rope.maxRelativeDifference(recomputed, stored) > 1e-5)
            throw new IOException(g.path() + ": rope_freqs.weight does not match llama3 rope scaling with factor " + max
                    + ", low_freq_factor 1, high_freq_factor 4, original context 8192 (unsupported rope scaling)");
        return guess;
    }

    private static String torchDtype(int fileType) {
        return switch (fileType) {
            case FILE_TYPE_F16 -> "float16";
            case FILE_TYPE_BF16 -> "bfloat16";
            default -> "float32";
        };
    }

    /** The dtype that general.file_type names (Q4_K for Q4_K_S/M mixes; F32 for types Veil does not write). */
    public static DType fileDtype(GgufFile g) {
        return switch (g.getInt(FILE_TYPE, FILE_TYPE_F32)) {
            case FILE_TYPE_F16 -> DType.F16;
            case FILE_TYPE_BF16 -> DType.BF16;
            case FILE_TYPE_Q8_0 -> DType.Q8_0;
            case FILE_TYPE_Q4_K_S, FILE_TYPE_Q4_K_M -> DType.Q4_K;
            default -> DType.F32;
        };
    }

    /** The float a GGUF stores, as the shortest decimal that rounds to it (1e-5f reads back as 1e-5, not 9.99e-6). */
    static double shortest(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /** Hugging Face names over a GGUF's tensors; Q/K of llama-architecture files are un-interleaved once and cached. */
    private static final class HfView implements Weights {
        private final GgufFile g;
        private final ModelConfig config;
        private final boolean interleaved;
        private final Map<String, String> ggufByHf;
        private final Map<String, Tensor> permuted = new ConcurrentHashMap<>();
        private final Map<String, Integer> expertOf = new HashMap<>();

        HfView(GgufFile g, ModelConfig config) {
            this.g = g;
            this.config = config;
            this.interleaved = "llama".equals(g.getString(ARCHITECTURE, ""));
            Map<String, String> map = new LinkedHashMap<>();
            for (GgufTensorInfo t : g.tensors()) {
                String hf = GgufNames.toHf(t.name());
                if (hf != null) map.put(hf, t.name());
            }
            for (int i = 0; i < config.numLayers(); i++)
                for (TensorRole r : TensorRole.values()) {
                    if (r.scope != TensorRole.Scope.EXPERT || g.tensorInfo(r.gguf(i)) == null) continue;
                    for (int e = 0; e < config.moe().numExperts(); e++) {
                        map.put(r.hf(i, e), r.gguf(i));
                        expertOf.put(r.hf(i, e), e);
                    }
                }
            this.ggufByHf = Collections.unmodifiableMap(map);
        }

        @Override
        public Tensor get(String name) {
            String ggufName = ggufByHf.get(name);
            Integer expert = expertOf.get(name);
            if (expert != null) return expertSlice(g.tensor(ggufName), expert).withName(name);
            if (ggufName == null)
                throw new IllegalArgumentException(
                        g.path() + ": no tensor '" + name + "' (llama.cpp name '" + GgufNames.toGguf(name) + "')");
            if (interleaved && GgufNames.isQ(name))
                return permuted.computeIfAbsent(
                        name,
                        n -> LlamaCppRope.toHf(g.tensor(ggufName), config.numHeads())
                                .withName(n));
            if (interleaved && GgufNames.isK(name))
                return permuted.computeIfAbsent(
                        name,
                        n -> LlamaCppRope.toHf(g.tensor(ggufName), config.numKvHeads())
                                .withName(n));
            return g.tensor(ggufName).withName(name);
        }

        /** Expert {@code e} of a stacked [experts, out, in] tensor: a [out, in] view of the same bytes. */
        private static Tensor expertSlice(Tensor stacked, int e) {
            long[] s = stacked.shape();
            if (s.length != 3 || e >= s[0])
                throw new IllegalArgumentException("tensor " + stacked.name() + " has shape " + Arrays.toString(s)
                        + ", not [experts, out, in] with expert " + e);
            long bytes = s[1] * s[2] * stacked.dtype().bytes;
            return new Tensor(
                    stacked.name(),
                    stacked.dtype(),
                    new long[] {s[1], s[2]},
                    stacked.data().asSlice(e * bytes, bytes));
        }

        @Override
        public Set<String> names() {
            return ggufByHf.keySet();
        }
    }
}
