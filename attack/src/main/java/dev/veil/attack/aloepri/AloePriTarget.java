package dev.veil.attack.aloepri;

import dev.veil.attack.capture.Capture;
import dev.veil.attack.capture.Mode;
import dev.veil.attack.capture.Request;
import dev.veil.attack.math.RowMajor;
import dev.veil.model.ModelConfig;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import java.util.List;

/**
 * What an AloePri server attacker has: the obfuscated checkpoint it runs, the capture of what it saw, and the public
 * plain model the deployment was obfuscated from (the paper's threat model: the model is public, the prompt is not).
 * Weight products are computed here in one convention, rows indexed by token id: plain ids on the plain side,
 * obfuscated ids on the obfuscated side, each side's RMSNorm weights folded in.
 */
public final class AloePriTarget {

    private static final String EMBED = "model.embed_tokens.weight", HEAD = "lm_head.weight";

    /** One side of the comparison: a model's config and weights. */
    public record Side(ModelConfig config, Weights weights) {

        public int vocab() {
            return config.vocabSize();
        }

        public int hidden() {
            return config.hiddenSize();
        }

        /** The embedding table {@code [V × d]}. */
        public float[] embed() {
            return RowMajor.matrix(weights, EMBED, vocab(), hidden());
        }

        /** The LM head {@code [V × d]} with the final norm's γ folded in (the embedding when tied). */
        public float[] head() {
            String name = weights.contains(HEAD) ? HEAD : EMBED;
            return fold(RowMajor.matrix(weights, name, vocab(), hidden()), "model.norm.weight");
        }

        /** {@code E · diag(γ) · Wᵀ} for layer {@code layer}'s weight {@code proj} ({@code self_attn.q_proj}, {@code mlp.gate_proj}, ...). */
        public float[] embedTimes(int layer, String proj, String norm, int outDim) {
            float[] e = fold(embed(), ModelConfig.layer(layer, norm));
            float[] w = RowMajor.matrix(weights, ModelConfig.layer(layer, proj + ".weight"), outDim, hidden());
            return RowMajor.timesTransposed(e, vocab(), hidden(), w, outDim);
        }

        /** {@code E·diag(γ_in)·Wqᵀ} of layer {@code l}: {@code [V × qDim]}. */
        public float[] queries(int l) {
            return embedTimes(l, "self_attn.q_proj", "input_layernorm.weight", config.qDim());
        }

        /** {@code E·diag(γ_in)·Wkᵀ} of layer {@code l}: {@code [V × kvDim]}. */
        public float[] keys(int l) {
            return embedTimes(l, "self_attn.k_proj", "input_layernorm.weight", config.kvDim());
        }

        /** {@code |E·diag(γ_in)·Wqᵀ|}: blind to the sign flips and moves of single columns (q_norm models' whole key). */
        public float[] queriesAbs(int l) {
            float[] q = queries(l);
            for (int i = 0; i < q.length; i++) q[i] = Math.abs(q[i]);
            return q;
        }

        /** Layer {@code l}'s FFN units: d_ff, or every expert's units side by side in a mixture-of-experts layer. */
        public int ffnWidth(int l) {
            return config.isMoeLayer(l)
                    ? config.moe().numExperts() * config.moe().moeIntermediateSize()
                    : config.intermediateSize();
        }

        public float[] gate(int l) {
            return embedTimesFfn(l, TensorRole.GATE, TensorRole.EXPERT_GATE);
        }

        public float[] up(int l) {
            return embedTimesFfn(l, TensorRole.UP, TensorRole.EXPERT_UP);
        }

        /** {@code E·diag(γ_post)·W_routerᵀ}: {@code [V × experts]}, one logit per expert (mixture-of-experts layers). */
        public float[] router(int l) {
            return embedTimes(
                    l,
                    "mlp.gate",
                    "post_attention_layernorm.weight",
                    config.moe().numExperts());
        }

        /**
         * {@code head · W_down}: {@code [V × units]}, row v = how each FFN unit of layer {@code l} pushes token v's logit
         * (every expert's units side by side in a mixture-of-experts layer).
         */
        public float[] downHead(int l) {
            int width = ffnWidth(l), d = hidden();
            float[] down;
            if (!config.isMoeLayer(l)) down = RowMajor.matrix(weights, TensorRole.DOWN.hf(l), d, width);
            else {
                int eff = config.moe().moeIntermediateSize();
                down = new float[d * width];
                for (int e = 0; e < config.moe().numExperts(); e++) {
                    float[] m = RowMajor.matrix(weights, TensorRole.EXPERT_DOWN.hf(l, e), d, eff);
                    for (int r = 0; r < d; r++) System.arraycopy(m, r * eff, down, r * width + e * eff, eff);
                }
            }
            return RowMajor.times(head(), vocab(), d, down, width);
        }

        /** {@code E·diag(γ_post)·Wᵀ} for a dense layer's {@code dense} weight, or every expert's {@code expert} weight stacked. */
        private float[] embedTimesFfn(int l, TensorRole dense, TensorRole expert) {
            if (!config.isMoeLayer(l))
                return embedTimes(
                        l, dense.hfSuffix().replace(".weight", ""), "post_attention_layernorm.weight", ffnWidth(l));
            int eff = config.moe().moeIntermediateSize(), d = hidden(), width = ffnWidth(l);
            float[] w = new float[width * d];
            for (int e = 0; e < config.moe().numExperts(); e++)
                System.arraycopy(RowMajor.matrix(weights, expert.hf(l, e), eff, d), 0, w, e * eff * d, eff * d);
            float[] emb = fold(embed(), ModelConfig.layer(l, "post_attention_layernorm.weight"));
            return RowMajor.timesTransposed(emb, vocab(), d, w, width);
        }

        /**
         * The attention scores the embeddings give each other, summed over heads: {@code Σ_i (E Wq_iᵀ)(E Wk_g(i)ᵀ)ᵀ},
         * {@code [V × V]}, RoPE left out. Invariant under AloePri's key matrices, R·H·Z and head permutations.
         */
        public float[] attentionProduct(int l) {
            int v = vocab(), q = config.qDim(), hd = config.headDim(), group = config.numHeads() / config.numKvHeads();
            float[] keys = keys(l), expanded = new float[v * q];
            for (int t = 0; t < v; t++)
                for (int h = 0; h < config.numHeads(); h++)
                    System.arraycopy(keys, t * config.kvDim() + (h / group) * hd, expanded, t * q + h * hd, hd);
            return RowMajor.timesTransposed(queries(l), v, q, expanded, v);
        }

        /** {@code m · diag(γ)}: the norm weight folded in (an obfuscated model's γ is the constant κ: a mere scale). */
        private float[] fold(float[] m, String norm) {
            return RowMajor.scaleColumns(m, hidden(), RowMajor.vector(weights, norm, hidden()));
        }
    }

    private final Capture capture;
    private final Side obfuscated, plain;

    public AloePriTarget(
            Capture capture, ModelConfig obfConfig, Weights obf, ModelConfig plainConfig, Weights plainWeights) {
        this(capture, obfConfig, obf, plainConfig, plainWeights, true);
    }

    /**
     * @param mergeSplitUnits undo an FFN unit split first ({@link UnitMerge}), as an attacker who knows the defense does;
     *                        false shows what the split does against one who does not
     */
    public AloePriTarget(
            Capture capture,
            ModelConfig obfConfig,
            Weights obf,
            ModelConfig plainConfig,
            Weights plainWeights,
            boolean mergeSplitUnits) {
        if (capture.mode() != Mode.ALOEPRI)
            throw new IllegalArgumentException("an AloePri attack needs an AloePri capture, got " + capture.mode());
        if (obfConfig.vocabSize() != plainConfig.vocabSize())
            throw new IllegalArgumentException("the obfuscated model's vocabulary (" + obfConfig.vocabSize()
                    + ") differs from the public model's (" + plainConfig.vocabSize() + "): not obfuscated from it");
        this.capture = capture;
        UnitMerge.Merged m = mergeSplitUnits ? UnitMerge.merge(obfConfig, obf, plainConfig.intermediateSize()) : null;
        this.obfuscated = m != null ? new Side(m.config(), m.weights()) : new Side(obfConfig, obf);
        this.plain = new Side(plainConfig, plainWeights);
    }

    public Capture capture() {
        return capture;
    }

    public List<Request> requests() {
        return capture.requests();
    }

    public Side obfuscated() {
        return obfuscated;
    }

    public Side plain() {
        return plain;
    }

    public int vocab() {
        return plain.vocab();
    }
}
