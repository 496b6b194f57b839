package dev.veil.train.model;

import dev.veil.engine.TopK;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import dev.veil.train.nn.Add;
import dev.veil.train.nn.CausalAttention;
import dev.veil.train.nn.CrossEntropy;
import dev.veil.train.nn.Embedding;
import dev.veil.train.nn.Linear;
import dev.veil.train.nn.MoeCombine;
import dev.veil.train.nn.RmsNorm;
import dev.veil.train.nn.RotaryEmbedding;
import dev.veil.train.nn.Rows;
import dev.veil.train.nn.Softmax;
import dev.veil.train.nn.SwiGlu;
import dev.veil.train.nn.Tape;
import dev.veil.train.nn.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama/Qwen2/Qwen3 decoder (RMSNorm, RoPE, grouped-query attention with optional q/k/v bias, Qwen3's RMSNorm
 * over each query and key head before RoPE, SwiGLU MLP or Qwen3-MoE's routed experts, tied or untied LM head) whose forward pass records onto a {@link Tape}, so that any loss over its outputs can be
 * backpropagated to its parameters or to its inputs. Parameters carry Hugging Face names and layouts.
 *
 * <p>The pieces are public for reuse: {@link #embed}, {@link #blocks} (a range of layers, from embeddings or
 * from a hidden state), {@link #head} (final norm + LM head).
 */
public final class Transformer {
    private final ModelConfig config;
    private final Map<String, Parameter> params;
    private final RotaryEmbedding rope;

    private Transformer(ModelConfig config, Map<String, Parameter> params) {
        this.config = config;
        this.params = params;
        this.rope = RotaryEmbedding.of(config);
    }

    /**
     * Fresh weights from {@code seed}: matrices ~ N(0, 0.02²) (the residual output projections o_proj and
     * down_proj scaled by 1/√(2·layers), as in GPT-2), biases 0, norm weights 1.
     */
    public static Transformer initialize(ModelConfig config, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double std = 0.02, residualStd = std / Math.sqrt(2.0 * config.numLayers());
        Map<String, Parameter> p = new LinkedHashMap<>();
        for (Shape s : shapes(config)) {
            float[] v = new float[s.size()];
            switch (s.kind) {
                case NORM -> Arrays.fill(v, 1f);
                case BIAS -> {}
                case MATRIX ->
                    gaussian(
                            rnd,
                            v,
                            s.name.endsWith(TensorRole.O.hfSuffix()) || s.name.endsWith(TensorRole.DOWN.hfSuffix())
                                    ? residualStd
                                    : std);
            }
            p.put(s.name, new Parameter(s.name, s.shape, v, s.kind == Kind.MATRIX));
        }
        return new Transformer(config, p);
    }

    /** The model held by {@code weights} (any float dtype, widened to F32), e.g. a Hugging Face directory. */
    public static Transformer fromWeights(ModelConfig config, Weights weights) {
        Map<String, Parameter> p = new LinkedHashMap<>();
        for (Shape s : shapes(config)) {
            Tensor t =
                    weights.shaped(s.name, Arrays.stream(s.shape).asLongStream().toArray());
            p.put(s.name, new Parameter(s.name, s.shape, t.toFloats(), s.kind == Kind.MATRIX));
        }
        return new Transformer(config, p);
    }

    public ModelConfig config() {
        return config;
    }

    /** In Hugging Face order: embeddings, each layer's tensors, final norm, LM head (when untied). */
    public Collection<Parameter> parameters() {
        return params.values();
    }

    public Parameter parameter(String name) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name);
        return p;
    }

    public long parameterCount() {
        return params.values().stream().mapToLong(Parameter::size).sum();
    }

    /** Freezes or unfreezes every parameter (frozen: forward passes compute no weight gradients). */
    public void setTrainable(boolean trainable) {
        params.values().forEach(p -> p.setTrainable(trainable));
    }

    /** The weights as tensors named and shaped as Hugging Face writes them, rounded to {@code dtype}. */
    public List<Tensor> tensors(DType dtype) {
        List<Tensor> out = new ArrayList<>();
        for (Parameter p : params.values())
            out.add(Tensor.of(
                    p.name(),
                    dtype,
                    p.value(),
                    Arrays.stream(p.shape()).asLongStream().toArray()));
        return out;
    }

    // ---- forward pass ----

    /** Next-token logits {@code [batch·seq, vocab]} for {@code tokens} ({@code batch} rows of {@code seq}). */
    public Var logits(Tape tape, int[] tokens, int batch, int seq) {
        return head(tape, blocks(tape, embed(tape, tokens), batch, seq, 0, config.numLayers()));
    }

    /** Mean cross-entropy of predicting {@code targets} (negative = ignored) from {@code inputs}. */
    public Var loss(Tape tape, int[] inputs, int[] targets, int batch, int seq) {
        return CrossEntropy.mean(tape, logits(tape, inputs, batch, seq), targets);
    }

    /** Token embeddings {@code [n, hidden]}. */
    public Var embed(Tape tape, int[] tokens) {
        return Embedding.lookup(tape, param(TensorRole.EMBED.hf()), tokens);
    }

    /** Runs layers {@code from .. to-1} on the residual stream {@code x} ({@code [batch·seq, hidden]}). */
    public Var blocks(Tape tape, Var x, int batch, int seq, int from, int to) {
        if (from < 0 || to > config.numLayers() || from > to)
            throw new IllegalArgumentException("layers " + from + ".." + to + " outside 0.." + config.numLayers());
        if (x.size() != batch * seq * config.hiddenSize())
            throw new IllegalArgumentException(
                    x + " is not " + batch + "×" + seq + " rows of hidden size " + config.hiddenSize());
        Var h = x;
        for (int i = from; i < to; i++) h = block(tape, h, i, batch, seq);
        return h;
    }

    /** Final RMSNorm and LM head: logits {@code [n, vocab]} from the last hidden state. */
    public Var head(Tape tape, Var hidden) {
        Var normed = RmsNorm.apply(tape, hidden, param(TensorRole.FINAL_NORM.hf()), eps());
        Var w = param(config.tieWordEmbeddings() ? TensorRole.EMBED.hf() : TensorRole.LM_HEAD.hf());
        return Linear.apply(tape, normed, w, null);
    }

    private Var block(Tape tape, Var x, int i, int batch, int seq) {
        ModelConfig c = config;
        Var n1 = RmsNorm.apply(tape, x, param(TensorRole.ATTN_NORM.hf(i)), eps());
        Var q = Linear.apply(tape, n1, param(TensorRole.Q.hf(i)), bias(TensorRole.Q_BIAS, i));
        Var k = Linear.apply(tape, n1, param(TensorRole.K.hf(i)), bias(TensorRole.K_BIAS, i));
        Var v = Linear.apply(tape, n1, param(TensorRole.V.hf(i)), bias(TensorRole.V_BIAS, i));
        if (c.qkNorm()) { // Qwen3: before RoPE, as the engine does
            q = RmsNorm.perHead(tape, q, param(TensorRole.Q_NORM.hf(i)), eps(), c.headDim());
            k = RmsNorm.perHead(tape, k, param(TensorRole.K_NORM.hf(i)), eps(), c.headDim());
        }
        Var attn = CausalAttention.apply(
                tape,
                rope.apply(tape, q, seq),
                rope.apply(tape, k, seq),
                v,
                batch,
                seq,
                c.numHeads(),
                c.numKvHeads(),
                c.headDim());
        Var h = Add.apply(tape, x, Linear.apply(tape, attn, param(TensorRole.O.hf(i)), null));

        Var n2 = RmsNorm.apply(tape, h, param(TensorRole.FFN_NORM.hf(i)), eps());
        if (c.isMoeLayer(i)) return Add.apply(tape, h, experts(tape, n2, i));
        Var gate = Linear.apply(tape, n2, param(TensorRole.GATE.hf(i)), null);
        Var up = Linear.apply(tape, n2, param(TensorRole.UP.hf(i)), null);
        Var down = Linear.apply(tape, SwiGlu.apply(tape, gate, up), param(TensorRole.DOWN.hf(i)), null);
        return Add.apply(tape, h, down);
    }

    /**
     * Qwen3-MoE's sparse feed-forward, as the engine computes it: softmax router, each row to its {@code k} most
     * probable experts (ties to the lower index), each expert's SwiGLU on the rows routed to it, outputs weighted by
     * the probabilities ({@link MoeCombine}). No load-balancing loss.
     */
    private Var experts(Tape tape, Var x, int i) {
        ModelConfig.Moe moe = config.moe();
        int n = x.rows(), e = moe.numExperts(), k = moe.expertsPerToken();
        Var probs = Softmax.apply(tape, Linear.apply(tape, x, param(TensorRole.ROUTER.hf(i)), null));
        float[] p = probs.value();
        int[] chosen = new int[n * k], slot = new int[n * k], routed = new int[e];
        for (int r = 0; r < n; r++) {
            TopK.select(p, r * e, e, k, chosen, r * k);
            for (int j = 0; j < k; j++) slot[r * k + j] = routed[chosen[r * k + j]]++;
        }
        Var[] outputs = new Var[e];
        for (int ex = 0; ex < e; ex++) {
            if (routed[ex] == 0) continue;
            int[] rows = new int[routed[ex]];
            for (int q = 0; q < n * k; q++) if (chosen[q] == ex) rows[slot[q]] = q / k;
            Var in = Rows.gather(tape, x, rows);
            Var gate = Linear.apply(tape, in, param(TensorRole.EXPERT_GATE.hf(i, ex)), null);
            Var up = Linear.apply(tape, in, param(TensorRole.EXPERT_UP.hf(i, ex)), null);
            outputs[ex] =
                    Linear.apply(tape, SwiGlu.apply(tape, gate, up), param(TensorRole.EXPERT_DOWN.hf(i, ex)), null);
        }
        return MoeCombine.apply(tape, probs, k, moe.normTopkProb(), chosen, slot, outputs, config.hiddenSize());
    }

    private Var bias(TensorRole role, int i) {
        return role.present(config, i) ? param(role.hf(i)) : null;
    }

    private Var param(String name) {
        return parameter(name).var();
    }

    private float eps() {
        return (float) config.rmsNormEps();
    }

    // ---- parameter shapes, Hugging Face names ----

    private enum Kind {
        MATRIX,
        BIAS,
        NORM
    }

    private record Shape(String name, Kind kind, int... shape) {
        int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /** Every parameter {@code c} implies, in checkpoint order (the order the initialiser draws them in). */
    private static List<Shape> shapes(ModelConfig c) {
        List<Shape> s = new ArrayList<>();
        for (TensorRole.Entry e : TensorRole.hfTensors(c)) {
            Kind kind = switch (e.role()) {
                case ATTN_NORM, FFN_NORM, FINAL_NORM, Q_NORM, K_NORM -> Kind.NORM;
                case Q_BIAS, K_BIAS, V_BIAS -> Kind.BIAS;
                default -> Kind.MATRIX;
            };
            s.add(new Shape(
                    e.name(),
                    kind,
                    Arrays.stream(e.shape()).mapToInt(Math::toIntExact).toArray()));
        }
        return s;
    }

    private static void gaussian(SplittableRandom rnd, float[] v, double std) {
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * std);
    }
}
