package dev.veil.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The architecture of a decoder-only Llama, Qwen2, Qwen3 or Qwen3-MoE model, as a Hugging Face {@code config.json}
 * states it. Which tensors a config implies, under which Hugging Face and GGUF names, is {@link TensorRole}'s table.
 *
 * @param headDim         explicit {@code head_dim}; may differ from hidden/heads (AloePri writes hidden = d + 2h)
 * @param attentionBias   q/k/v projections carry a bias (always for Qwen2; {@code attention_bias} for Llama)
 * @param ropeScaling     llama3-type frequency scaling, or null
 * @param moe             the mixture-of-experts layout (Qwen3-MoE), or null for a dense model
 */
public record ModelConfig(
        Architecture architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype,
        Moe moe) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A model family: its Hugging Face class and model_type, the llama.cpp architecture Veil writes its GGUFs as, and
     * what its layers hold beyond the Llama block (q/k/v biases always, RMSNorm over head_dim on q and k, experts).
     * Qwen2 is written as llama.cpp's {@code llama}, whose graph takes head_dim from the file (its {@code qwen2} graph
     * assumes heads × head_dim = hidden); Qwen3's own graphs read head_dim, so Qwen3 files keep their name.
     */
    public enum Architecture {
        LLAMA("LlamaForCausalLM", "llama", "llama", false, false, false),
        QWEN2("Qwen2ForCausalLM", "qwen2", "llama", true, false, false),
        QWEN3("Qwen3ForCausalLM", "qwen3", "qwen3", false, true, false),
        QWEN3_MOE("Qwen3MoeForCausalLM", "qwen3_moe", "qwen3moe", false, true, true);

        public final String hfClass;
        public final String modelType;
        /** general.architecture of the GGUFs Veil writes. */
        public final String ggufArch;
        /** q/k/v biases whatever config.json says (Qwen2). */
        public final boolean alwaysBias;
        /** RMSNorm with a weight over head_dim on every query and key head, before RoPE (Qwen3). */
        public final boolean qkNorm;
        /** Sparse feed-forward layers: a softmax router over experts (config.json's num_experts etc.). */
        public final boolean moe;

        Architecture(
                String hfClass, String modelType, String ggufArch, boolean alwaysBias, boolean qkNorm, boolean moe) {
            this.hfClass = hfClass;
            this.modelType = modelType;
            this.ggufArch = ggufArch;
            this.alwaysBias = alwaysBias;
            this.qkNorm = qkNorm;
            this.moe = moe;
        }

        public static Architecture of(String hfClassOrType) {
            for (Architecture a : values())
                if (a.hfClass.equals(hfClassOrType) || a.modelType.equals(hfClassOrType)) return a;
            throw new IllegalArgumentException("unsupported architecture '" + hfClassOrType + "' (Veil runs "
                    + String.join(
                            ", ", Arrays.stream(values()).map(a -> a.hfClass).toList()) + ")");
        }
    }

    /**
     * Qwen3-MoE's sparse feed-forward: layer {@code i} is sparse unless listed in {@code mlpOnlyLayers} and when
     * {@code (i + 1) % decoderSparseStep == 0} (Hugging Face's rule); a sparse layer routes each row to the
     * {@code expertsPerToken} experts of highest softmax router probability, weighted by those probabilities
     * (renormalised to sum 1 when {@code normTopkProb}); each expert is a SwiGLU of width {@code moeIntermediateSize}.
     * Dense layers use {@code intermediate_size}.
     */
    public record Moe(
            int numExperts,
            int expertsPerToken,
            int moeIntermediateSize,
            boolean normTopkProb,
            int decoderSparseStep,
            List<Integer> mlpOnlyLayers) {
        public Moe {
            if (numExperts < 1 || expertsPerToken < 1 || expertsPerToken > numExperts)
                throw new IllegalArgumentException(
                        "num_experts_per_tok " + expertsPerToken + " must be in [1, num_experts " + numExperts + "]");
            if (moeIntermediateSize < 1) throw new IllegalArgumentException("moe_intermediate_size must be positive");
            if (decoderSparseStep < 1) throw new IllegalArgumentException("decoder_sparse_step must be positive");
            mlpOnlyLayers = List.copyOf(mlpOnlyLayers);
        }
    }

    /** rope_scaling of type llama3 (Llama 3.1/3.2). */
    public record RopeScaling(
            double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {}

    public ModelConfig {
        if (numHeads % numKvHeads != 0)
            throw new IllegalArgumentException(
                    "num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim " + headDim + " must be even for RoPE");
        if (architecture.moe != (moe != null))
            throw new IllegalArgumentException(architecture.hfClass
                    + (moe == null
                            ? " needs num_experts, num_experts_per_tok and moe_intermediate_size"
                            : " has no experts"));
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** RMSNorm with weights over head_dim on each query and key head before RoPE (Qwen3's q_norm / k_norm). */
    public boolean qkNorm() {
        return architecture.qkNorm;
    }

    /** Whether layer {@code i}'s feed-forward is a mixture of experts (Hugging Face's Qwen3-MoE rule). */
    public boolean isMoeLayer(int i) {
        return moe != null && !moe.mlpOnlyLayers().contains(i) && (i + 1) % moe.decoderSparseStep() == 0;
    }

    /**
     * A dense config of this shape, the rest as a config.json that states only the shape would leave it: rms_norm_eps
     * 1e-6, rope_theta 10000, no rope scaling, 2048 positions, untied, attention_bias false,
     * no bos or eos id, float32. {@link #withNorm} and {@link #withTokens} set the rest: the one way tests, benchmarks
     * and tools spell a config, instead of the eighteen-component canonical constructor.
     */
    public static ModelConfig of(
            Architecture arch, int vocab, int hidden, int ffn, int layers, int heads, int kvHeads, int headDim) {
        return of(arch, vocab, hidden, ffn, layers, heads, kvHeads, headDim, null);
    }

    /** {@link #of(Architecture, int, int, int, int, int, int, int)} with experts ({@code moe}; null: dense). */
    public static ModelConfig of(
            Architecture arch, int vocab, int hidden, int ffn, int layers, int heads, int kv, int headDim, Moe moe) {
        return new ModelConfig(
                arch, vocab, hidden, ffn, layers, heads, kv, headDim, 1e-6, 10000.0, null, 2048, false, false, -1,
                List.of(), "float32", moe);
    }

    /** This config with other norm epsilon and RoPE settings ({@code ropeScaling} may be null). */
    public ModelConfig withNorm(double rmsNormEps, double ropeTheta, RopeScaling ropeScaling) {
        return Records.with(this, "rmsNormEps", rmsNormEps, "ropeTheta", ropeTheta, "ropeScaling", ropeScaling);
    }

    /** This config with other context length, embedding tying, q/k/v bias and special token ids. */
    public ModelConfig withTokens(
            int maxPositionEmbeddings,
            boolean tieWordEmbeddings,
            boolean attentionBias,
            int bosTokenId,
            List<Integer> eosTokenIds) {
        return Records.with(
                this,
                "maxPositionEmbeddings",
                maxPositionEmbeddings,
                "tieWordEmbeddings",
                tieWordEmbeddings,
                "attentionBias",
                attentionBias,
                "bosTokenId",
                bosTokenId,
                "eosTokenIds",
                eosTokenIds);
    }

    /** This config with another torch_dtype (what a writer records for the dtype it stored). */
    public ModelConfig withTorchDtype(String dtype) {
        return Records.with(this, "torchDtype", dtype);
    }

    /** This config with other hidden and (dense) feed-forward widths, the rest kept (AloePri's expansion, merges). */
    public ModelConfig withWidths(int hiddenSize, int intermediateSize) {
        return Records.with(this, "hiddenSize", hiddenSize, "intermediateSize", intermediateSize);
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** Query heads per key/value head (GQA group size). */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** Reads {@code dir/config.json}; errors name the file and the field. */
    public static ModelConfig read(Path dir) throws IOException {
        return JsonFiles.parse(
                dir.resolve("config.json"), "no config.json in the model directory", ModelConfig::fromJson);
    }

    public static ModelConfig fromJson(JsonNode n) {
        String archName =
                n.path("architectures").path(0).asText(n.path("model_type").asText(""));
        Architecture arch = Architecture.of(archName);
        int hidden = positive(n, "hidden_size");
        int heads = positive(n, "num_attention_heads");
        int kvHeads = n.hasNonNull("num_key_value_heads") ? positive(n, "num_key_value_heads") : heads;
        int headDim = n.hasNonNull("head_dim") ? positive(n, "head_dim") : hidden / heads;
        if (headDim == 0)
            throw new IllegalArgumentException(
                    "hidden_size " + hidden + " is smaller than num_attention_heads " + heads);
        // q/k/v widths are int products everywhere downstream: a config whose product overflows is refused here
        if ((long) heads * headDim > Integer.MAX_VALUE)
            throw new IllegalArgumentException(
                    "num_attention_heads " + heads + " x head_dim " + headDim + " does not fit an int");
        RopeScaling scaling = null;
        JsonNode rs = n.hasNonNull("rope_scaling") ? n.get("rope_scaling") : n.path("rope_parameters");
        if (rs.isObject()) {
            String type = rs.path("rope_type").asText(rs.path("type").asText("default"));
            switch (type) {
                case "llama3" ->
                    scaling = new RopeScaling(
                            rs.path("factor").asDouble(8.0),
                            rs.path("low_freq_factor").asDouble(1.0),
                            rs.path("high_freq_factor").asDouble(4.0),
                            rs.path("original_max_position_embeddings").asInt(8192));
                case "default" -> {}
                default ->
                    throw new IllegalArgumentException(
                            "unsupported rope_scaling type '" + type + "' (Veil supports llama3)");
            }
        }
        double theta = n.has("rope_theta")
                ? n.get("rope_theta").asDouble()
                : rs.path("rope_theta").asDouble(10000.0);
        List<Integer> eos = new ArrayList<>();
        JsonNode e = n.path("eos_token_id");
        if (e.isArray()) e.forEach(x -> eos.add(x.asInt()));
        else if (e.isNumber()) eos.add(e.asInt());
        boolean bias = arch.alwaysBias || n.path("attention_bias").asBoolean(false);
        if (bias && arch.qkNorm)
            throw new IllegalArgumentException("attention_bias=true is not supported for " + arch.hfClass
                    + " (Hugging Face then puts a bias on o_proj too, which Veil's engine does not apply)");
        Moe moe = null;
        if (arch.moe) {
            List<Integer> mlpOnly = new ArrayList<>();
            n.path("mlp_only_layers").forEach(x -> mlpOnly.add(x.asInt()));
            moe = new Moe(
                    positive(n, "num_experts"),
                    positive(n, "num_experts_per_tok"),
                    positive(n, "moe_intermediate_size"),
                    n.path("norm_topk_prob").asBoolean(false),
                    n.path("decoder_sparse_step").asInt(1),
                    mlpOnly);
        }
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu"))
            throw new IllegalArgumentException("unsupported hidden_act '" + act + "' (Veil runs silu)");
        if (n.path("mlp_bias").asBoolean(false)) throw new IllegalArgumentException("mlp_bias=true is not supported");
        return new ModelConfig(
                arch,
                positive(n, "vocab_size"),
                hidden,
                positive(n, "intermediate_size"),
                positive(n, "num_hidden_layers"),
                heads,
                kvHeads,
                headDim,
                n.path("rms_norm_eps").asDouble(1e-6),
                theta,
                scaling,
                n.path("max_position_embeddings").asInt(2048),
                n.path("tie_word_embeddings").asBoolean(false),
                bias,
                n.path("bos_token_id").asInt(-1),
                eos,
                n.path("torch_dtype").asText("float32"),
                moe);
    }

    /** A size field: a positive integer (zero heads would divide by zero, negative sizes allocate nothing sane). */
    private static int positive(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException("missing or invalid '" + field + "'");
        if (v.asInt() <= 0) throw new IllegalArgumentException("'" + field + "' must be positive, got " + v.asInt());
        return v.asInt();
    }

    /** The config.json Veil writes: what transformers, vLLM and Veil's own loader read. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(architecture.hfClass);
        n.put("model_type", architecture.modelType);
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numLayers);
        n.put("num_attention_heads", numHeads);
        n.put("num_key_value_heads", numKvHeads);
        n.put("head_dim", headDim);
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        if (ropeScaling != null) {
            ObjectNode rs = n.putObject("rope_scaling");
            rs.put("rope_type", "llama3");
            rs.put("factor", ropeScaling.factor());
            rs.put("low_freq_factor", ropeScaling.lowFreqFactor());
            rs.put("high_freq_factor", ropeScaling.highFreqFactor());
            rs.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
        }
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        if (architecture == Architecture.LLAMA) {
            n.put("attention_bias", attentionBias);
            n.put("mlp_bias", false);
        }
        if (architecture.qkNorm) n.put("attention_bias", false);
        if (moe != null) {
            n.put("num_experts", moe.numExperts());
            n.put("num_experts_per_tok", moe.expertsPerToken());
            n.put("moe_intermediate_size", moe.moeIntermediateSize());
            n.put("norm_topk_prob", moe.normTopkProb());
            n.put("decoder_sparse_step", moe.decoderSparseStep());
            moe.mlpOnlyLayers().forEach(n.putArray("mlp_only_layers")::add);
        }
        if (bosTokenId >= 0) n.put("bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) n.put("eos_token_id", eosTokenIds.getFirst());
        else if (!eosTokenIds.isEmpty()) eosTokenIds.forEach(n.putArray("eos_token_id")::add);
        n.put("torch_dtype", torchDtype);
        return n;
    }

    public void write(Path dir) throws IOException {
        Files.writeString(
                dir.resolve("config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }

    /** Hugging Face tensor names of layer {@code i}. */
    public static String layer(int i, String suffix) {
        return "model.layers." + i + "." + suffix;
    }
}
