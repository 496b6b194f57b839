package dev.veil.aloepri;

import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.aloepri.transform.AttentionKeys;
import dev.veil.aloepri.transform.AttentionTransform;
import dev.veil.aloepri.transform.AttentionWeights;
import dev.veil.aloepri.transform.EmbeddingTransform;
import dev.veil.aloepri.transform.Experts;
import dev.veil.aloepri.transform.FfnDefense;
import dev.veil.aloepri.transform.FfnKeys;
import dev.veil.aloepri.transform.FfnTransform;
import dev.veil.aloepri.transform.FfnWeights;
import dev.veil.aloepri.transform.GaussianNoise;
import dev.veil.aloepri.transform.HeadTransform;
import dev.veil.aloepri.transform.Kappa;
import dev.veil.aloepri.transform.KeyedLinear;
import dev.veil.aloepri.transform.NormFolding;
import dev.veil.aloepri.transform.QkNormKey;
import dev.veil.aloepri.transform.WeightMatrix;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.TensorRole;
import dev.veil.model.TensorSink;
import dev.veil.model.TensorSpec;
import dev.veil.model.Weights;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The AloePri compiler: plain Hugging Face weights in, the obfuscated checkpoint out, one component at a time
 * (embedding, each layer's attention, each layer's FFN, head), so memory holds one component's tensors and
 * never a whole model.
 *
 * <p>Every secret is drawn from a stream derived from one master key by a fixed label, so the output depends
 * only on the seed, not on the order of work, and any key can be regenerated (for calibration, or tests).
 * Norm folding happens on the way: each RMSNorm weight is folded into the reader keys of the linears that read it
 * (into the head itself for the final norm, whose noise is relative to the folded head) and replaced by κ·1 (per
 * norm, see {@link #calibrate}).
 */
public final class ModelObfuscator {

    private static final String EMBED = "model.embed_tokens.weight",
            HEAD = "lm_head.weight",
            FINAL_NORM = "model.norm.weight";

    private final ModelConfig plain;
    private final ModelConfig obfuscated;
    private final AloePriParams params;
    private final KeyStream master;
    private final DType dtype;
    private final KeyMatrices keys;
    private final VocabPermutation tau;
    /** κ per norm: [2l] input_layernorm of layer l, [2l+1] its post_attention_layernorm, [2L] the final norm. */
    private final double[] kappa;
    /** The plain model's FFN activation moments, for the activation-aware W_down noise; null until measured. */
    private FfnActivations activations;

    /**
     * @param fixedTokens ids τ keeps in place (see {@link VocabPermutation})
     * @param dtype       storage type of the obfuscated weights (F32, BF16 or F16)
     */
    public ModelObfuscator(
            ModelConfig plain, AloePriParams params, Collection<Integer> fixedTokens, KeyStream master, DType dtype) {
        if (!dtype.isFloat())
            throw new IllegalArgumentException("obfuscated weights must be F32, BF16 or F16, not " + dtype);
        if (plain.moe() != null && params.split() > 1)
            throw new IllegalArgumentException("--split is not implemented for mixture-of-experts models (got split "
                    + params.split() + " for " + plain.architecture().hfClass + ")");
        this.plain = plain;
        this.params = params;
        this.master = master;
        this.dtype = dtype;
        this.keys =
                KeyMatrices.generate(plain.hiddenSize(), params.expansion(), params.lambda(), master.derive("base"));
        this.tau = VocabPermutation.sample(plain.vocabSize(), fixedTokens, master.derive("vocab"));
        this.obfuscated = plain.withWidths(keys.obfuscatedHidden(), plain.intermediateSize() * params.split())
                .withTokens(
                        plain.maxPositionEmbeddings(),
                        false,
                        plain.attentionBias(),
                        plain.bosTokenId(),
                        plain.eosTokenIds())
                .withTorchDtype(torchDtype(dtype));
        this.kappa = new double[2 * plain.numLayers() + 1];
        Arrays.fill(kappa, Kappa.gaussian(keys, 1000, master.derive("kappa")));
    }

    /**
     * A compiler for {@code plain} whose κ are calibrated on the plain model's own activations over
     * {@code calibrationTokens} random non-special ids ({@link ActivationCalibration}), or the paper's Gaussian
     * estimate when 0: what {@code veil obfuscate} uses. {@code activations}: the plain model's FFN activations for
     * the activation-aware W_down noise, or null.
     */
    public static ModelObfuscator calibrated(
            ModelConfig config,
            Weights plain,
            AloePriParams params,
            Collection<Integer> fixedTokens,
            KeyStream master,
            DType dtype,
            int calibrationTokens,
            FfnActivations activations) {
        ModelObfuscator obfuscator = new ModelObfuscator(config, params, fixedTokens, master, dtype);
        obfuscator.useActivations(activations);
        if (calibrationTokens > 0) {
            int[] tokens = ActivationCalibration.randomTokens(
                    config.vocabSize(), fixedTokens, calibrationTokens, master.derive("calibration"));
            obfuscator.calibrate(
                    ActivationCalibration.run(obfuscator, plain, tokens).kappa());
        }
        return obfuscator;
    }

    /**
     * Measures the plain model's FFN activations on {@code text} (public calibration text, windows of {@code context})
     * for the {@linkplain FfnNoiseProfile#ACTIVATION activation} W_down noise; a no-op for the Gaussian profile.
     */
    public ModelObfuscator measureActivations(Weights plainWeights, int[] text, int context) {
        if (params.ffnNoise() == FfnNoiseProfile.ACTIVATION && params.alphaDown() > 0)
            useActivations(FfnActivations.measure(plain, plainWeights, text, context));
        return this;
    }

    /** Uses activation moments measured before (they do not depend on the key or the noise). */
    public ModelObfuscator useActivations(FfnActivations a) {
        if (a != null && a.layers() != plain.numLayers())
            throw new IllegalArgumentException(
                    "activations of " + a.layers() + " layers for a model of " + plain.numLayers());
        this.activations = a;
        return this;
    }

    private double[] moment(int layer, int expert) {
        return activations == null ? null : activations.moment(layer, expert);
    }

    public ModelConfig plainConfig() {
        return plain;
    }

    /** The config the obfuscated checkpoint ships: hidden_size = d + 2h, explicit head_dim, untied head. */
    public ModelConfig obfuscatedConfig() {
        return obfuscated;
    }

    public AloePriParams params() {
        return params;
    }

    public VocabPermutation permutation() {
        return tau;
    }

    public KeyMatrices keys() {
        return keys;
    }

    /** κ of every norm, in the order [input_layernorm 0, post_attention_layernorm 0, ..., model.norm]. */
    public double[] kappa() {
        return kappa.clone();
    }

    /** Replaces the default (Gaussian, paper §5.2.5) κ of every norm, e.g. by values calibrated on activations. */
    public void calibrate(double[] kappas) {
        if (kappas.length != kappa.length)
            throw new IllegalArgumentException(kappas.length + " kappa values for " + kappa.length + " norms");
        for (double k : kappas)
            if (!(k > 0) || !Double.isFinite(k))
                throw new IllegalArgumentException("kappa must be positive and finite, got " + k);
        System.arraycopy(kappas, 0, kappa, 0, kappa.length);
    }

    /** The writer key P̂ of the embedding (regenerated from its stream). */
    public WeightMatrix embeddingWriter() {
        return WeightMatrix.of(keys.writerKey(master.derive("embed.key")));
    }

    /** Layer {@code layer}'s attention keys (regenerated from its stream). */
    public AttentionKeys attentionKeys(int layer) {
        return AttentionKeys.sample(plain, keys, params.beta(), params.gamma(), attentionStream(layer));
    }

    /** Layer {@code layer}'s o_proj writer key alone (the one in {@link #attentionKeys}). */
    public WeightMatrix oWriter(int layer) {
        return AttentionKeys.oWriter(keys, attentionStream(layer));
    }

    /** Layer {@code layer}'s FFN keys (regenerated from its stream). */
    public FfnKeys ffnKeys(int layer) {
        return FfnKeys.sample(obfuscated.intermediateSize(), keys, ffnStream(layer));
    }

    /** Layer {@code layer}'s down_proj writer key alone (the one in {@link #ffnKeys}). */
    public WeightMatrix downWriter(int layer) {
        return FfnKeys.downWriter(keys, ffnStream(layer));
    }

    private KeyStream attentionStream(int layer) {
        return master.derive("layer." + layer + ".attn");
    }

    private KeyStream ffnStream(int layer) {
        return master.derive("layer." + layer + ".ffn");
    }

    /** The obfuscated tensors in the order {@link #write} produces them: the architecture table's order. */
    public List<TensorSpec> outputSpecs() {
        return TensorRole.hfTensors(obfuscated).stream()
                .map(e -> new TensorSpec(e.name(), dtype, e.shape()))
                .toList();
    }

    /** Obfuscates {@code weights} (the plain model) into {@code out}, which must expect {@link #outputSpecs()}. */
    public void write(Weights weights, TensorSink out) throws IOException {
        int d = plain.hiddenSize();
        WeightMatrix embed = matrix(weights, EMBED, plain.vocabSize(), d);
        WeightMatrix noisyEmbed = GaussianNoise.add(embed, params.alphaE(), master.derive("embed.noise"));
        out.write(tensor(EMBED, EmbeddingTransform.apply(noisyEmbed, embeddingWriter(), tau)));

        for (int l = 0; l < plain.numLayers(); l++) {
            writeAttention(weights, l, out);
            writeFfn(weights, l, out);
        }

        out.write(norm(FINAL_NORM, kappa[2 * plain.numLayers()]));
        WeightMatrix head =
                matrix(weights, weights.contains(HEAD) ? HEAD : EMBED, plain.vocabSize(), d); // untie tied embeddings
        head = NormFolding.fold(vector(weights, FINAL_NORM, d), head);
        head = GaussianNoise.add(head, params.alphaH(), master.derive("head.noise"));
        WeightMatrix reader = WeightMatrix.of(keys.readerKey(master.derive("head.key")));
        out.write(tensor(HEAD, HeadTransform.apply(head, reader, tau)));
    }

    private void writeAttention(Weights w, int l, TensorSink out) throws IOException {
        int d = plain.hiddenSize(), q = plain.qDim(), kv = plain.kvDim();
        float[] gamma = vector(w, ModelConfig.layer(l, "input_layernorm.weight"), d);
        boolean bias = plain.attentionBias();
        AttentionWeights plainAttn = new AttentionWeights(
                matrix(w, ModelConfig.layer(l, "self_attn.q_proj.weight"), q, d),
                matrix(w, ModelConfig.layer(l, "self_attn.k_proj.weight"), kv, d),
                matrix(w, ModelConfig.layer(l, "self_attn.v_proj.weight"), kv, d),
                matrix(w, ModelConfig.layer(l, "self_attn.o_proj.weight"), d, q),
                bias ? vector(w, ModelConfig.layer(l, "self_attn.q_proj.bias"), q) : null,
                bias ? vector(w, ModelConfig.layer(l, "self_attn.k_proj.bias"), kv) : null,
                bias ? vector(w, ModelConfig.layer(l, "self_attn.v_proj.bias"), kv) : null);
        AttentionKeys keys = attentionKeys(l);
        AttentionWeights o = AttentionTransform.apply(
                plainAttn, keys.foldNorm(gamma), plain.numHeads(), plain.numKvHeads(), plain.headDim());
        out.write(norm(ModelConfig.layer(l, "input_layernorm.weight"), kappa[2 * l]));
        out.write(tensor(ModelConfig.layer(l, "self_attn.q_proj.weight"), o.q()));
        out.write(tensor(ModelConfig.layer(l, "self_attn.k_proj.weight"), o.k()));
        out.write(tensor(ModelConfig.layer(l, "self_attn.v_proj.weight"), o.v()));
        if (bias) {
            out.write(Tensor.of(ModelConfig.layer(l, "self_attn.q_proj.bias"), dtype, o.qBias(), q));
            out.write(Tensor.of(ModelConfig.layer(l, "self_attn.k_proj.bias"), dtype, o.kBias(), kv));
            out.write(Tensor.of(ModelConfig.layer(l, "self_attn.v_proj.bias"), dtype, o.vBias(), kv));
        }
        out.write(tensor(ModelConfig.layer(l, "self_attn.o_proj.weight"), o.o()));
        QkNormKey qk = keys.qkNorm();
        if (qk != null) {
            int hd = plain.headDim();
            out.write(Tensor.of(TensorRole.Q_NORM.hf(l), dtype, qk.query(vector(w, TensorRole.Q_NORM.hf(l), hd)), hd));
            out.write(Tensor.of(TensorRole.K_NORM.hf(l), dtype, qk.key(vector(w, TensorRole.K_NORM.hf(l), hd)), hd));
        }
    }

    private void writeFfn(Weights w, int l, TensorSink out) throws IOException {
        int d = plain.hiddenSize(), ffn = plain.intermediateSize();
        float[] gamma = vector(w, ModelConfig.layer(l, "post_attention_layernorm.weight"), d);
        if (plain.isMoeLayer(l)) {
            writeExperts(w, l, gamma, out);
            return;
        }
        FfnWeights plainFfn = new FfnWeights(
                matrix(w, ModelConfig.layer(l, "mlp.gate_proj.weight"), ffn, d),
                matrix(w, ModelConfig.layer(l, "mlp.up_proj.weight"), ffn, d),
                matrix(w, ModelConfig.layer(l, "mlp.down_proj.weight"), d, ffn));
        FfnWeights defended = FfnDefense.apply(
                plainFfn, params, plain.numLayers(), moment(l, 0), master.derive("layer." + l + ".ffn.defense"));
        FfnWeights o = FfnTransform.apply(defended, ffnKeys(l).foldNorm(gamma));
        out.write(norm(ModelConfig.layer(l, "post_attention_layernorm.weight"), kappa[2 * l + 1]));
        out.write(tensor(ModelConfig.layer(l, "mlp.gate_proj.weight"), o.gate()));
        out.write(tensor(ModelConfig.layer(l, "mlp.up_proj.weight"), o.up()));
        out.write(tensor(ModelConfig.layer(l, "mlp.down_proj.weight"), o.down()));
    }

    /**
     * A mixture-of-experts layer (paper §5.2.4): the router's rows normalised ({@link Experts#normalizeRows}, when
     * {@code routerNorm}) and permuted like the experts, read through its own reader key; each expert its own FFN
     * defense and FFN transform (own readers, unit permutation and scaling); one down writer for the layer, so the
     * weighted sum of the experts' writes is one write to the residual stream (what κ calibration tracks).
     */
    private void writeExperts(Weights w, int l, float[] gamma, TensorSink out) throws IOException {
        int d = plain.hiddenSize(),
                experts = plain.moe().numExperts(),
                eff = plain.moe().moeIntermediateSize();
        int[] order = expertOrder(l);
        WeightMatrix router = matrix(w, TensorRole.ROUTER.hf(l), experts, d);
        router = GaussianNoise.add(router, params.alphaRouter(), ffnStream(l).derive("router.noise"));
        if (params.routerNorm()) router = Experts.normalizeRows(router);
        WeightMatrix routerReader = NormFolding.intoReader(
                gamma, WeightMatrix.of(keys.readerKey(ffnStream(l).derive("router"))));
        out.write(norm(ModelConfig.layer(l, "post_attention_layernorm.weight"), kappa[2 * l + 1]));
        out.write(tensor(TensorRole.ROUTER.hf(l), KeyedLinear.reader(router.gatherRows(order), routerReader)));
        WeightMatrix downWriter = downWriter(l);
        FfnWeights[] done = new FfnWeights[experts];
        for (int slot = 0; slot < experts; slot++) {
            int e = order[slot];
            FfnWeights plainExpert = new FfnWeights(
                    matrix(w, TensorRole.EXPERT_GATE.hf(l, e), eff, d),
                    matrix(w, TensorRole.EXPERT_UP.hf(l, e), eff, d),
                    matrix(w, TensorRole.EXPERT_DOWN.hf(l, e), d, eff));
            KeyStream stream = master.derive("layer." + l + ".expert." + e);
            FfnWeights defended = FfnDefense.apply(
                    plainExpert, params, plain.numLayers(), moment(l, e), stream.derive("ffn.defense"));
            done[slot] = FfnTransform.apply(
                    defended,
                    FfnKeys.sample(eff, keys, stream.derive("ffn"), downWriter).foldNorm(gamma));
        }
        for (int slot = 0; slot < experts; slot++)
            out.write(tensor(TensorRole.EXPERT_GATE.hf(l, slot), done[slot].gate()));
        for (int slot = 0; slot < experts; slot++) out.write(tensor(TensorRole.EXPERT_UP.hf(l, slot), done[slot].up()));
        for (int slot = 0; slot < experts; slot++)
            out.write(tensor(TensorRole.EXPERT_DOWN.hf(l, slot), done[slot].down()));
    }

    /** Layer {@code l}'s expert permutation: obfuscated expert slot s is plain expert {@code result[s]}. */
    public int[] expertOrder(int l) {
        return ffnStream(l).derive("experts").permutation(plain.moe().numExperts());
    }

    private Tensor norm(String name, double k) {
        int dObf = obfuscated.hiddenSize();
        return Tensor.of(name, dtype, Kappa.normWeight(k, dObf), dObf);
    }

    private Tensor tensor(String name, WeightMatrix m) {
        return m.toTensor(name, dtype);
    }

    private TensorSpec spec(String name, long... shape) {
        return new TensorSpec(name, dtype, shape);
    }

    /** The named 2-D weight, checked against the shape the config implies. */
    private static WeightMatrix matrix(Weights w, String name, int rows, int cols) {
        Tensor t = w.get(name);
        if (t.rank() != 2 || t.rows() != rows || t.cols() != cols)
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + " but config.json implies [" + rows + ", " + cols + "]");
        return WeightMatrix.of(t);
    }

    private static float[] vector(Weights w, String name, int n) {
        Tensor t = w.get(name);
        if (t.rank() != 1 || t.cols() != n)
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + " but config.json implies [" + n + "]");
        return t.toFloats();
    }

    static String torchDtype(DType t) {
        return switch (t) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("no torch dtype for " + t);
        };
    }
}
