package dev.veil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.JsonFiles;
import dev.veil.model.ModelConfig;
import dev.veil.train.data.Split;
import dev.veil.train.optim.AdamW;
import dev.veil.train.optim.LrSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Everything that determines a training run, read from a JSON file:
 *
 * <pre>{@code
 * { "seed": 1,
 *   "out": "models/veil-sotu-qwen2",
 *   "data": { "train": "train", "heldout": "heldout", "out_of_domain": "out_of_domain", "out_of_domain_every": 4 },
 *   "tokenizer": { "vocab_size": 8192, "min_frequency": 2 },
 *   "model": { "architecture": "qwen2", "hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 4,
 *              "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64, "tie_word_embeddings": true,
 *              "attention_bias": true, "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "max_position_embeddings": 256 },
 *   "training": { "steps": 2000, "batch_size": 8, "seq_len": 256, "lr": 0.003, "min_lr": 0.0003,
 *                 "warmup_steps": 100, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8,
 *                 "grad_clip": 1.0, "checkpoint_every": 100, "eval_every": 100, "eval_tokens": 16384 },
 *   "export": { "dtype": "bfloat16" } }
 * }</pre>
 *
 * Errors name the field ({@code training.lr}); unknown fields are errors. A relative {@code out} is taken from the
 * current directory; a relative {@code tokenizer.path} from the config file's directory.
 */
public record TrainConfig(
        long seed,
        Path out,
        DataSettings data,
        TokenizerSettings tokenizer,
        ModelSettings model,
        TrainingSettings training,
        String exportDtype) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Which corpus splits to train on and to report perplexity on ({@code veil data fetch} writes them). */
    public record DataSettings(Split train, Split heldout, Split outOfDomain, int outOfDomainEvery) {

        /** Every {@code outOfDomainEvery}-th out-of-domain document: a spread-out sample that keeps evaluation short. */
        public <T> List<T> outOfDomainSample(List<T> docs) {
            List<T> out = new ArrayList<>();
            for (int i = 0; i < docs.size(); i += outOfDomainEvery) out.add(docs.get(i));
            return out;
        }
    }

    /** Train a tokenizer of {@code vocabSize} on the train split, or (with {@code path}) use an existing one. */
    public record TokenizerSettings(int vocabSize, int minFrequency, Path path) {}

    /** The architecture; the vocabulary size comes from the tokenizer. */
    public record ModelSettings(
            ModelConfig.Architecture architecture,
            int hiddenSize,
            int intermediateSize,
            int numLayers,
            int numHeads,
            int numKvHeads,
            int headDim,
            boolean tieWordEmbeddings,
            boolean attentionBias,
            double ropeTheta,
            double rmsNormEps,
            int maxPositionEmbeddings,
            ModelConfig.Moe moe) {

        /** The Hugging Face config of this architecture over a tokenizer's vocabulary and special tokens. */
        public ModelConfig toModelConfig(int vocabSize, int bosTokenId, List<Integer> eosTokenIds, String torchDtype) {
            return ModelConfig.of(
                            architecture,
                            vocabSize,
                            hiddenSize,
                            intermediateSize,
                            numLayers,
                            numHeads,
                            numKvHeads,
                            headDim,
                            moe)
                    .withNorm(rmsNormEps, ropeTheta, null)
                    .withTokens(maxPositionEmbeddings, tieWordEmbeddings, attentionBias, bosTokenId, eosTokenIds)
                    .withTorchDtype(torchDtype);
        }
    }

    public record TrainingSettings(
            int steps,
            int batchSize,
            int seqLen,
            double lr,
            double minLr,
            int warmupSteps,
            double weightDecay,
            double beta1,
            double beta2,
            double eps,
            double gradClip,
            int checkpointEvery,
            int evalEvery,
            int evalTokens) {

        public LrSchedule schedule() {
            return new LrSchedule(lr, minLr, warmupSteps, steps);
        }

        public AdamW.Settings adam() {
            return new AdamW.Settings(beta1, beta2, eps, weightDecay);
        }
    }

    /** Reads and validates {@code file}; every problem is one {@link IOException} naming the file and the field. */
    public static TrainConfig read(Path file) throws IOException {
        Path baseDir = file.toAbsolutePath().getParent();
        return JsonFiles.parse(file, "training config not found", root -> parse(root, baseDir));
    }

    /** Qwen3-MoE's expert settings: every layer sparse, Hugging Face's field names. */
    private static ModelConfig.Moe moe(JsonFields m) {
        int experts = m.integer("num_experts", null, 1, 1024);
        return new ModelConfig.Moe(
                experts,
                m.integer("num_experts_per_tok", null, 1, experts),
                m.integer("moe_intermediate_size", null, 1, 1 << 18),
                m.bool("norm_topk_prob", true),
                1,
                List.of());
    }

    /** {@code baseDir} resolves a relative {@code tokenizer.path}. */
    public static TrainConfig parse(JsonNode root, Path baseDir) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("the config must be a JSON object");
        JsonFields f = new JsonFields(root, "");
        long seed = f.longValue("seed", null);
        String outDir = f.string("out", "");
        Path out = outDir.isEmpty() ? null : Path.of(outDir);

        DataSettings data = new DataSettings(Split.TRAIN, Split.HELDOUT, Split.OUT_OF_DOMAIN, 1);
        if (f.has("data")) {
            JsonFields d = f.object("data");
            data = new DataSettings(
                    split(d, "train", Split.TRAIN),
                    split(d, "heldout", Split.HELDOUT),
                    split(d, "out_of_domain", Split.OUT_OF_DOMAIN),
                    d.integer("out_of_domain_every", 1, 1, 1 << 20));
            d.rejectUnknown();
        }

        JsonFields t = f.object("tokenizer");
        String tokPath = t.string("path", "");
        if (!tokPath.isEmpty() && (t.has("vocab_size") || t.has("min_frequency")))
            throw new IllegalArgumentException(
                    "field 'tokenizer.path' excludes vocab_size and min_frequency (those train a new tokenizer)");
        TokenizerSettings tok = tokPath.isEmpty()
                ? new TokenizerSettings(
                        t.integer("vocab_size", null, 256 + 3, 1 << 20),
                        t.integer("min_frequency", 2, 1, Integer.MAX_VALUE),
                        null)
                : new TokenizerSettings(0, 0, baseDir.resolve(tokPath));
        t.rejectUnknown();

        JsonFields m = f.object("model");
        String arch = m.string("architecture", null);
        ModelConfig.Architecture architecture;
        try {
            architecture = ModelConfig.Architecture.of(arch);
        } catch (IllegalArgumentException e) { // in the config's own words: the model_type names, the field
            throw new IllegalArgumentException("field 'model.architecture' must be one of "
                    + Arrays.stream(ModelConfig.Architecture.values())
                            .map(a -> '"' + a.modelType + '"')
                            .collect(Collectors.joining(", "))
                    + ", got \"" + arch + "\"");
        }
        int hidden = m.integer("hidden_size", null, 1, 1 << 16);
        int heads = m.integer("num_attention_heads", null, 1, 1024);
        int kvHeads = m.integer("num_key_value_heads", heads, 1, heads);
        if (heads % kvHeads != 0)
            throw new IllegalArgumentException("field 'model.num_key_value_heads' (" + kvHeads
                    + ") must divide num_attention_heads (" + heads + ")");
        int headDim = m.integer("head_dim", hidden / heads, 2, 1 << 12);
        if (headDim % 2 != 0)
            throw new IllegalArgumentException(
                    "field 'model.head_dim' must be even (RoPE rotates pairs), got " + headDim);
        boolean bias = m.bool("attention_bias", architecture == ModelConfig.Architecture.QWEN2);
        if (architecture == ModelConfig.Architecture.QWEN2 && !bias)
            throw new IllegalArgumentException(
                    "field 'model.attention_bias' must be true for qwen2 (Qwen2 always has q/k/v biases)");
        ModelSettings model = new ModelSettings(
                architecture,
                hidden,
                m.integer("intermediate_size", null, 1, 1 << 18),
                m.integer("num_hidden_layers", null, 1, 1024),
                heads,
                kvHeads,
                headDim,
                m.bool("tie_word_embeddings", null),
                bias,
                m.number("rope_theta", 10000.0, 1, 1e9),
                m.number("rms_norm_eps", 1e-6, 1e-12, 1e-1),
                m.integer("max_position_embeddings", null, 1, 1 << 20),
                architecture.moe ? moe(m) : null);
        m.rejectUnknown();

        JsonFields r = f.object("training");
        int steps = r.integer("steps", null, 1, Integer.MAX_VALUE);
        int seqLen = r.integer("seq_len", null, 1, 1 << 16);
        if (seqLen > model.maxPositionEmbeddings())
            throw new IllegalArgumentException("field 'training.seq_len' (" + seqLen
                    + ") exceeds model.max_position_embeddings (" + model.maxPositionEmbeddings() + ")");
        double lr = r.number("lr", null, 1e-9, 10);
        TrainingSettings training = new TrainingSettings(
                steps,
                r.integer("batch_size", null, 1, 1 << 16),
                seqLen,
                lr,
                r.number("min_lr", lr / 10, 0, lr),
                r.integer("warmup_steps", 0, 0, steps),
                r.number("weight_decay", 0.1, 0, 10),
                r.number("beta1", 0.9, 0, 0.999999),
                r.number("beta2", 0.95, 0, 0.999999999),
                r.number("eps", 1e-8, 1e-30, 1),
                r.number("grad_clip", 1.0, 0, 1e9),
                r.integer("checkpoint_every", 100, 1, Integer.MAX_VALUE),
                r.integer("eval_every", 100, 1, Integer.MAX_VALUE),
                r.integer("eval_tokens", 16384, 1, Integer.MAX_VALUE));
        r.rejectUnknown();

        String dtype = "bfloat16";
        if (f.has("export")) {
            JsonFields e = f.object("export");
            dtype = e.string("dtype", "bfloat16");
            if (!dtype.equals("bfloat16") && !dtype.equals("float32"))
                throw new IllegalArgumentException(
                        "field 'export.dtype' must be \"bfloat16\" or \"float32\", got \"" + dtype + "\"");
            e.rejectUnknown();
        }
        f.rejectUnknown();
        return new TrainConfig(seed, out, data, tok, model, training, dtype);
    }

    private static Split split(JsonFields d, String field, Split fallback) {
        String name = d.string(field, fallback.name().toLowerCase(Locale.ROOT));
        for (Split s : Split.values()) if (s.name().equalsIgnoreCase(name)) return s;
        throw new IllegalArgumentException(
                "field 'data." + field + "' must be one of train, heldout, out_of_domain; got \"" + name + "\"");
    }

    /** The same settings written to another output directory. */
    public TrainConfig withOut(Path newOut) {
        return new TrainConfig(seed, newOut, data, tokenizer, model, training, exportDtype);
    }

    /**
     * The settings that decide the weights, as canonical JSON: a checkpoint records them, and resuming under
     * different ones is refused. (checkpoint_every, eval_every and eval_tokens only change what is observed.)
     */
    public ObjectNode fingerprint() {
        ObjectNode n = JSON.createObjectNode();
        n.put("seed", seed);
        n.put("train_split", data.train().name().toLowerCase(Locale.ROOT));
        ObjectNode t = n.putObject("tokenizer");
        if (tokenizer.path() != null) t.put("path", tokenizer.path().toString());
        else t.put("vocab_size", tokenizer.vocabSize()).put("min_frequency", tokenizer.minFrequency());
        ObjectNode m = n.putObject("model");
        m.put("architecture", model.architecture().modelType)
                .put("hidden_size", model.hiddenSize())
                .put("intermediate_size", model.intermediateSize())
                .put("num_hidden_layers", model.numLayers())
                .put("num_attention_heads", model.numHeads())
                .put("num_key_value_heads", model.numKvHeads())
                .put("head_dim", model.headDim())
                .put("tie_word_embeddings", model.tieWordEmbeddings())
                .put("attention_bias", model.attentionBias())
                .put("rope_theta", model.ropeTheta())
                .put("rms_norm_eps", model.rmsNormEps())
                .put("max_position_embeddings", model.maxPositionEmbeddings());
        if (model.moe() != null)
            m.put("num_experts", model.moe().numExperts())
                    .put("num_experts_per_tok", model.moe().expertsPerToken())
                    .put("moe_intermediate_size", model.moe().moeIntermediateSize())
                    .put("norm_topk_prob", model.moe().normTopkProb());
        ObjectNode r = n.putObject("training");
        r.put("steps", training.steps())
                .put("batch_size", training.batchSize())
                .put("seq_len", training.seqLen())
                .put("lr", training.lr())
                .put("min_lr", training.minLr())
                .put("warmup_steps", training.warmupSteps())
                .put("weight_decay", training.weightDecay())
                .put("beta1", training.beta1())
                .put("beta2", training.beta2())
                .put("eps", training.eps())
                .put("grad_clip", training.gradClip());
        try {
            return (ObjectNode)
                    JSON.readTree(n.toString()); // as it reads back from a checkpoint: comparable node for node
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
