package dev.veil.model.gguf;

import static dev.veil.model.gguf.GgufKeys.*;

import dev.veil.model.DType;
import dev.veil.model.GenerationConfig;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Moe;
import dev.veil.model.ModelFiles;
import dev.veil.model.Quant;
import dev.veil.model.Tensor;
import dev.veil.model.TensorOps;
import dev.veil.model.TensorRole;
import dev.veil.model.TensorSpec;
import dev.veil.model.Weights;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face model -> GGUF that llama.cpp runs, following llama.cpp's own converter (convert_hf_to_gguf.py) where
 * it matters. Llama and Qwen2 are written as architecture {@code llama}: llama.cpp's qwen2 graph assumes
 * heads x head_dim = hidden, while its llama graph takes head_dim from attention.key_length/value_length and adds
 * q/k/v biases when the file has them. So their Q/K rows (and biases) are interleaved for llama's RoPE, llama3 rope
 * scaling becomes a {@code rope_freqs.weight} tensor. Qwen3 and Qwen3-MoE keep their own graphs ({@code qwen3},
 * {@code qwen3moe}: NeoX RoPE, so Q/K rows stay in Hugging Face order; q_norm/k_norm as attn_q_norm/attn_k_norm;
 * experts stacked per layer into ffn_gate_exps/ffn_up_exps/ffn_down_exps with expert_count, expert_used_count and
 * expert_feed_forward_length). Tied embeddings get no {@code output.weight}, matrices are stored in the requested
 * dtype and 1-D tensors (norms, biases) in F32 as the converter does. Tensors stream one at a time (a layer's experts
 * are stacked in memory first).
 *
 * <p>Quantized files follow {@code llama-quantize} (llama-quant.cpp) without an importance matrix: {@link DType#Q8_0}
 * is its Q8_0 (every 2-D weight Q8_0), {@link DType#Q4_K} its Q4_K_M mix ({@link #quantizedType}).
 */
public final class GgufExport {
    private GgufExport() {}

    public static void write(ModelFiles model, Path out, DType dtype) throws IOException {
        write(
                model.config(),
                model.generation(),
                model.weights(),
                model.tokenizerDir(),
                name(model.source()),
                out,
                dtype);
    }

    /**
     * @param tokenizerDir directory of tokenizer.json, or null for a synthetic byte-level vocabulary
     * @param dtype        F32, F16 or BF16 for the 2-D and 3-D weights; Q8_0 or Q4_K (Q4_K_M) for llama-quantize's file types
     */
    public static void write(
            ModelConfig config,
            GenerationConfig generation,
            Weights weights,
            Path tokenizerDir,
            String name,
            Path out,
            DType dtype)
            throws IOException {
        if (!dtype.isFloat() && dtype != DType.Q8_0 && dtype != DType.Q4_K)
            throw new IllegalArgumentException(
                    "GGUF export writes F32, F16, BF16, Q8_0 or Q4_K (Q4_K_M), not " + dtype);
        checkRepresentable(config);
        GgufMetadata meta = metadata(config, generation, tokenizerDir, name, dtype);
        List<TensorSpec> specs = new ArrayList<>();
        float[] ropeFactors = config.ropeScaling() == null
                ? null
                : Llama3Rope.factors(config.headDim(), config.ropeTheta(), config.ropeScaling());
        if (ropeFactors != null)
            specs.add(new TensorSpec(GgufNames.ROPE_FREQS, DType.F32, new long[] {ropeFactors.length}));
        List<TensorRole.Entry> entries = TensorRole.ggufTensors(config);
        for (TensorRole.Entry e : entries)
            specs.add(new TensorSpec(
                    e.name(),
                    e.shape().length == 1
                            ? DType.F32
                            : dtype.isQuantized()
                                    ? quantizedType(dtype, config, e.name(), e.shape()[e.shape().length - 1])
                                    : dtype,
                    e.shape()));
        try (GgufWriter w = GgufWriter.create(out, meta, specs)) {
            if (ropeFactors != null) w.write(Tensor.ofFloats(GgufNames.ROPE_FREQS, ropeFactors, ropeFactors.length));
            for (int i = 0; i < entries.size(); i++) {
                TensorSpec spec = specs.get(i + (ropeFactors == null ? 0 : 1));
                TensorRole.Entry e = entries.get(i);
                w.write(
                        e.role().scope == TensorRole.Scope.EXPERT
                                ? stackExperts(config, weights, e, spec)
                                : toGguf(config, weights.get(hfName(e)), spec));
            }
        }
    }

    /**
     * The type llama-quantize (llama_tensor_get_type, no importance matrix, not --pure) gives the 2-D tensor
     * {@code gguf} of a {@code fileType} file: Q8_0 for every tensor of a Q8_0 file; in Q4_K_M, Q6_K for the output
     * (and the token embeddings when they are tied to it, as llama.cpp then treats them as the output) — Q8_0 if its
     * rows are not whole 256-blocks — Q6_K for attn_v and ffn_down of the layers {@code use_more_bits} picks, Q4_K for
     * the rest. Then its fallback for rows that do not fit the block: Q4_K → Q5_0, Q6_K → Q8_0, and F16 when not even
     * 32-blocks fit.
     */
    public static DType quantizedType(DType fileType, ModelConfig c, String gguf, long cols) {
        DType t = fileType;
        if (fileType == DType.Q4_K) {
            String role = gguf.replaceFirst("^blk\\.\\d+\\.", "");
            int layer = gguf.startsWith("blk.") ? Integer.parseInt(gguf.split("\\.")[1]) : -1;
            boolean output =
                    gguf.equals("output.weight") || (c.tieWordEmbeddings() && gguf.equals("token_embd.weight"));
            if (output) t = cols % Quant.QK_K != 0 ? DType.Q8_0 : DType.Q6_K;
            else if ((role.equals("attn_v.weight") || role.equals("ffn_down.weight"))
                    && useMoreBits(layer, c.numLayers())) t = DType.Q6_K;
        }
        if (cols % t.blockSize != 0)
            t = switch (t) {
                case Q4_K -> DType.Q5_0;
                case Q6_K -> DType.Q8_0;
                default -> t;
            };
        return cols % t.blockSize != 0 ? DType.F16 : t;
    }

    /** llama-quant.cpp's use_more_bits: the first and last eighth of the layers and every third in between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** Refuses what llama.cpp's graph for the family would compute differently from the Hugging Face model. */
    private static void checkRepresentable(ModelConfig c) {
        String arch = c.architecture().ggufArch;
        if (c.ropeScaling() != null && !arch.equals("llama"))
            throw new IllegalArgumentException(
                    "llama3 rope scaling is written for llama.cpp's llama graph only, not " + arch);
        Moe moe = c.moe();
        if (moe == null) return;
        if (!moe.normTopkProb())
            throw new IllegalArgumentException("llama.cpp's " + arch + " graph renormalises the top-k expert weights; "
                    + "a model with norm_topk_prob=false has no GGUF equivalent");
        for (int i = 0; i < c.numLayers(); i++)
            if (!c.isMoeLayer(i))
                throw new IllegalArgumentException("llama.cpp's " + arch + " graph makes every layer sparse; layer " + i
                        + " is dense (decoder_sparse_step " + moe.decoderSparseStep() + ", mlp_only_layers "
                        + moe.mlpOnlyLayers() + ")");
    }

    private static String hfName(TensorRole.Entry e) {
        return e.layer() < 0 ? e.role().hf() : e.role().hf(e.layer());
    }

    /** One Hugging Face tensor as llama.cpp's architecture wants it. */
    private static Tensor toGguf(ModelConfig config, Tensor hf, TensorSpec spec) {
        Tensor t = TensorOps.convert(hf, spec.dtype());
        if (config.architecture().ggufArch.equals("llama")) {
            if (GgufNames.isQ(hf.name())) t = LlamaCppRope.toLlamaCpp(t, config.numHeads());
            else if (GgufNames.isK(hf.name())) t = LlamaCppRope.toLlamaCpp(t, config.numKvHeads());
        }
        return t.withName(spec.name());
    }

    /** A layer's experts, each converted to the file's dtype, stacked into one [experts, out, in] tensor. */
    private static Tensor stackExperts(ModelConfig config, Weights weights, TensorRole.Entry e, TensorSpec spec) {
        int experts = config.moe().numExperts();
        long each = spec.byteSize() / experts;
        MemorySegment data = Arena.ofAuto().allocate(spec.byteSize(), 64);
        for (int x = 0; x < experts; x++) {
            Tensor t = TensorOps.convert(weights.get(e.role().hf(e.layer(), x)), spec.dtype());
            MemorySegment.copy(t.data(), 0, data, x * each, each);
        }
        return new Tensor(spec.name(), spec.dtype(), spec.shape(), data);
    }

    static GgufMetadata metadata(
            ModelConfig c, GenerationConfig generation, Path tokenizerDir, String name, DType dtype)
            throws IOException {
        String arch = c.architecture().ggufArch, a = arch + ".";
        GgufMetadata m = new GgufMetadata()
                .putString(ARCHITECTURE, arch)
                .putString(NAME, name)
                .putU32(
                        FILE_TYPE,
                        switch (dtype) {
                            case F16 -> FILE_TYPE_F16;
                            case BF16 -> FILE_TYPE_BF16;
                            case Q8_0 -> FILE_TYPE_Q8_0;
                            case Q4_K -> FILE_TYPE_Q4_K_M;
                            default -> FILE_TYPE_F32;
                        })
                .putU32(a + VOCAB_SIZE, c.vocabSize())
                .putU32(a + CONTEXT_LENGTH, c.maxPositionEmbeddings())
                .putU32(a + EMBEDDING_LENGTH, c.hiddenSize())
                .putU32(a + BLOCK_COUNT, c.numLayers())
                .putU32(a + FEED_FORWARD_LENGTH, c.intermediateSize())
                .putU32(a + HEAD_COUNT, c.numHeads())
                .putU32(a + HEAD_COUNT_KV, c.numKvHeads())
                .putU32(a + KEY_LENGTH, c.headDim())
                .putU32(a + VALUE_LENGTH, c.headDim())
                .putU32(a + ROPE_DIMENSION_COUNT, c.headDim())
                .putF32(a + ROPE_FREQ_BASE, (float) c.ropeTheta())
                .putF32(a + RMS_EPS, (float) c.rmsNormEps())
                .putString(VEIL_HF_ARCHITECTURE, c.architecture().hfClass);
        if (c.moe() != null)
            m.putU32(a + EXPERT_COUNT, c.moe().numExperts())
                    .putU32(a + EXPERT_USED_COUNT, c.moe().expertsPerToken())
                    .putU32(a + EXPERT_FEED_FORWARD_LENGTH, c.moe().moeIntermediateSize());
        if (dtype.isQuantized()) m.putU32(QUANTIZATION_VERSION, 2);
        if (c.ropeScaling() != null) {
            m.putF32(VEIL_ROPE_FACTOR, (float) c.ropeScaling().factor())
                    .putF32(VEIL_ROPE_LOW, (float) c.ropeScaling().lowFreqFactor())
                    .putF32(VEIL_ROPE_HIGH, (float) c.ropeScaling().highFreqFactor())
                    .putU32(VEIL_ROPE_ORIGINAL_CONTEXT, c.ropeScaling().originalMaxPositionEmbeddings());
        }
        List<Integer> eos = generation.eosTokenIds();
        if (eos.size() > 1)
            m.putI32s(VEIL_EOS_IDS, eos.stream().mapToInt(Integer::intValue).toArray());
        if (tokenizerDir != null && Files.exists(tokenizerDir.resolve("tokenizer.json")))
            GgufVocab.fromTokenizerJson(tokenizerDir, c.vocabSize(), generation.bosTokenId(), eos, m);
        else GgufVocab.synthetic(c.vocabSize(), generation.bosTokenId(), eos, m);
        if (generation.padTokenId() != null && generation.padTokenId() >= 0 && generation.padTokenId() < c.vocabSize())
            m.putU32(PAD_ID, generation.padTokenId());
        return m;
    }

    private static String name(Path source) {
        Path f = source.toAbsolutePath().normalize().getFileName();
        return f == null ? "veil-model" : f.toString();
    }
}
