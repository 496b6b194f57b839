package dev.veil.attack.aloepri;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Request;
import dev.veil.attack.capture.Rows;
import dev.veil.attack.math.RowMajor;
import dev.veil.attack.math.TopK;
import dev.veil.attack.metrics.Guesses;
import dev.veil.attack.simulate.ForwardMatcher;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.Rope;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.train.model.Parameter;
import dev.veil.train.model.Transformer;
import dev.veil.train.nn.Linear;
import dev.veil.train.nn.Mse;
import dev.veil.train.nn.RmsNorm;
import dev.veil.train.nn.RotaryEmbedding;
import dev.veil.train.nn.Tape;
import dev.veil.train.nn.Var;
import dev.veil.train.optim.AdamW;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ISA, gradient-based inversion of internal states (after Dong et al., USENIX Security '25): the attacker observes
 * what the server computes for a prompt and searches, by gradient descent through the public plain model, for the
 * input that reproduces it. The input is a relaxed one-hot per position (softmax over the vocabulary of free logits
 * θ, times the embedding table), so the search stays among real tokens.
 *
 * <p>A discrete stage follows, as in PIA (Qu et al. 2025). For hidden states it reads left to right: each position's
 * candidates, by descending θ, are run through the public model after the chosen prefix until one reproduces the
 * observed state (or the budget is spent, see {@link ForwardMatcher#search}), and the nearest is kept. Attention scores alone leave the continuous search underdetermined (many mixtures give the same
 * dot products), so their discrete stage searches the whole vocabulary: coordinate descent over positions, each
 * trying every entry against the score row of its position and (after a first left-to-right sweep on rows alone) the
 * column its key enters, the others held at their current guesses. On attention scores the discrete stage does most
 * of the work.
 *
 * <ul>
 *   <li>{@link Kind#HIDDEN}: the hidden state after layer 0 as layer 1's QKV receives it (RMS-normalised), compared
 *       coordinate by coordinate (the first d of the obfuscated d + 2h: the attacker has no map between the spaces).</li>
 *   <li>{@link Kind#ATTENTION}: layer 0's attention scores qᵢ·kⱼ/√hd (RoPE applied, causal, per head), which the key
 *       matrices leave unchanged; AloePri's head and RoPE-block permutations are what change them.</li>
 * </ul>
 */
public final class InternalStateAttack extends RankedAttack implements AloePriAttack {

    public enum Kind {
        HIDDEN,
        ATTENTION
    }

    private final Kind kind;
    private final int steps;
    private final double lr;
    private final int maxRequests;
    private final int budget;

    /**
     * @param budget hidden states: candidates the discrete stage tries per position at most, in the gradient stage's
     *               order (the vocabulary size makes it exhaustive)
     */
    /**
     * Whether the attack can run on a model of {@code c}: it differentiates through the train module's transformer,
     * which runs Llama and Qwen2 only (no q/k norms, no experts). The audits leave it out elsewhere.
     */
    public static boolean runs(ModelConfig c) {
        return !c.qkNorm() && c.moe() == null;
    }

    public InternalStateAttack(Kind kind, int steps, double lr, int maxRequests, int budget, int k) {
        super(
                kind == Kind.HIDDEN
                        ? "ISA: gradient inversion of hidden states"
                        : "ISA: gradient inversion of attention scores",
                TokenStream.PROCESSED,
                k);
        this.kind = kind;
        this.steps = steps;
        this.lr = lr;
        this.maxRequests = maxRequests;
        this.budget = budget;
    }

    /** A relative distance this small is a match (float rounding between two runs of the same model). */
    static final double MATCH = 1e-3;

    @Override
    public Outcome attack(AloePriTarget t, Progress progress) {
        ModelConfig c = t.plain().config();
        Transformer model = Transformer.fromWeights(c, t.plain().weights());
        model.setTrainable(false);
        List<Guesses> out = new ArrayList<>();
        for (Request r :
                t.requests().subList(0, Math.min(maxRequests, t.requests().size()))) {
            out.add(invert(t, model, r));
            progress.step();
        }
        return new Outcome(out, null);
    }

    private Guesses invert(AloePriTarget t, Transformer model, Request r) {
        ModelConfig c = t.plain().config();
        int v = c.vocabSize(), d = c.hiddenSize();
        float[] embedT = RowMajor.transpose(t.plain().embed(), v, d); // [d × V]: p·E as a linear layer
        Observed observed = observe(t, r);
        int n = observed.positions;
        Parameter theta = new Parameter("theta", new int[] {n, v}, new float[n * v], false);
        AdamW adam = new AdamW(List.of(theta), new AdamW.Settings(0.9, 0.99, 1e-8, 0));
        for (int step = 0; step < steps; step++) {
            float[] p = softmaxRows(theta.value(), n, v);
            Var probs = Var.variable(p, n, v);
            Tape tape = new Tape();
            Var x = Linear.apply(tape, probs, Var.constant(embedT, d, v), null);
            if (kind == Kind.HIDDEN) {
                Var h = RmsNorm.apply(tape, model.blocks(tape, x, 1, n, 0, 1), null, (float) c.rmsNormEps());
                tape.backward(Mse.mean(tape, h, Var.constant(observed.values, n, d)));
            } else {
                Var qk = queriesAndKeys(tape, model, x, n);
                tape.backward(qk, scoreLossGradient(qk.value(), observed.values, c, n));
            }
            float[] g = probs.grad();
            float[] dTheta = theta.grad();
            for (int i = 0; i < n; i++) { // softmax backward: dθ = p ⊙ (g − Σ p·g)
                double dot = 0;
                for (int j = 0; j < v; j++) dot += (double) p[i * v + j] * g[i * v + j];
                for (int j = 0; j < v; j++) dTheta[i * v + j] = (float) (p[i * v + j] * (g[i * v + j] - dot));
            }
            adam.step(lr);
        }
        int[][] ranked = new int[n][];
        int width = kind == Kind.ATTENTION ? k : v; // the hidden stage takes every id, by descending θ
        for (int i = 0; i < n; i++)
            ranked[i] = TopK.largest(Arrays.copyOfRange(theta.value(), i * v, (i + 1) * v), width);
        return kind == Kind.ATTENTION ? refine(t, ranked, observed.values) : refineHidden(t, ranked, observed.values);
    }

    /**
     * The hidden-state search's discrete stage: left to right, each position's candidates, in the gradient stage's
     * order, are run through the public model after the chosen prefix until one reproduces the observed row; they are
     * ranked by how near their row comes to it.
     */
    private Guesses refineHidden(AloePriTarget t, int[][] candidates, float[] observed) {
        ModelConfig c = t.plain().config();
        int d = c.hiddenSize();
        ForwardMatcher matcher = new ForwardMatcher(
                new LocalLinearBackend(c, t.plain().weights(), Parallel.shared()),
                new ModelName(Product.QKV, Math.min(1, c.numLayers() - 1)));
        int[][] ranked = new int[candidates.length][];
        for (int i = 0; i < candidates.length; i++) {
            float[] row = Arrays.copyOfRange(observed, i * d, (i + 1) * d);
            float[] distance = matcher.search(candidates[i], row, budget, MATCH);
            int[] order = TopK.smallest(distance, k);
            ranked[i] = new int[order.length];
            for (int j = 0; j < order.length; j++) ranked[i][j] = candidates[i][order[j]];
            matcher.append(ranked[i][0]);
        }
        return new Guesses(ranked);
    }

    /** Sweeps of the discrete stage. */
    private static final int SWEEPS = 2;

    /**
     * Coordinate descent on the attention-score error: position by position, every vocabulary entry is tried against
     * the score row of its position and (after the first sweep, which reads left to right on rows alone) the column its
     * key enters, the other positions fixed at their current best.
     */
    private Guesses refine(AloePriTarget t, int[][] start, float[] observed) {
        ModelConfig c = t.plain().config();
        int v = c.vocabSize(), n = start.length, hd = c.headDim(), heads = c.numHeads(), group = heads / c.numKvHeads();
        int qDim = c.qDim(), kvDim = c.kvDim(), width = qDim + kvDim;
        float[] all = unrotatedQueriesAndKeys(t); // [V × width]
        Rope.Table table = Rope.of(c).table(0, n);
        float[] qs = new float[n * qDim], ks = new float[n * kvDim];
        for (int i = 0; i < n; i++) place(all, start[i][0], i, table, qs, ks, c);
        int[] tokens = Arrays.stream(start).mapToInt(r -> r[0]).toArray();
        float scale = (float) (1 / Math.sqrt(hd));
        int[][] ranked = new int[n][];
        float[] cq = new float[qDim], ck = new float[kvDim];
        for (int sweep = 0; sweep < SWEEPS; sweep++) {
            for (int i = 0; i < n; i++) {
                float[] error = new float[v];
                for (int cand = 0; cand < v; cand++) {
                    System.arraycopy(all, cand * width, cq, 0, qDim);
                    System.arraycopy(all, cand * width + qDim, ck, 0, kvDim);
                    for (int h = 0; h < heads; h++) table.rotate(cq, h * hd, i);
                    for (int h = 0; h < c.numKvHeads(); h++) table.rotate(ck, h * hd, i);
                    double e = 0;
                    for (int h = 0; h < heads; h++) {
                        int kh = (h / group) * hd;
                        for (int j = 0; j <= i; j++) { // row i: this query against every earlier key (and its own)
                            float[] keys = j == i ? ck : ks;
                            int ko = j == i ? kh : j * kvDim + kh;
                            double diff = dot(cq, h * hd, keys, ko, hd) * scale - observed[(h * n + i) * n + j];
                            e += diff * diff;
                        }
                        for (int m = i + 1; sweep > 0 && m < n; m++) { // column i: later queries against this key
                            double diff =
                                    dot(qs, m * qDim + h * hd, ck, kh, hd) * scale - observed[(h * n + m) * n + i];
                            e += diff * diff;
                        }
                    }
                    error[cand] = (float) e;
                }
                ranked[i] = TopK.smallest(error, k);
                tokens[i] = ranked[i][0];
                place(all, tokens[i], i, table, qs, ks, c);
            }
        }
        return new Guesses(ranked);
    }

    /** Writes token {@code id}'s query and key, rotated to position {@code i}, into row i of {@code q} and {@code k}. */
    private static void place(float[] all, int id, int i, Rope.Table table, float[] q, float[] k, ModelConfig c) {
        int qDim = c.qDim(), kvDim = c.kvDim(), width = qDim + kvDim, hd = c.headDim();
        System.arraycopy(all, id * width, q, i * qDim, qDim);
        System.arraycopy(all, id * width + qDim, k, i * kvDim, kvDim);
        for (int h = 0; h < c.numHeads(); h++) table.rotate(q, i * qDim + h * hd, i);
        for (int h = 0; h < c.numKvHeads(); h++) table.rotate(k, i * kvDim + h * hd, i);
    }

    /** Every token's layer-0 query and key before RoPE: RMSNorm(E[v])·γ_in·[Wq; Wk]ᵀ + biases, {@code [V × (qDim + kvDim)]}. */
    private static float[] unrotatedQueriesAndKeys(AloePriTarget t) {
        ModelConfig c = t.plain().config();
        int v = c.vocabSize(), d = c.hiddenSize(), width = c.qDim() + c.kvDim();
        var w = t.plain().weights();
        float[] normed = RowMajor.scaleColumns(
                RowMajor.rmsNormalised(t.plain().embed(), d),
                d,
                RowMajor.vector(w, ModelConfig.layer(0, "input_layernorm.weight"), d));
        float[] stacked = concat(
                RowMajor.matrix(w, ModelConfig.layer(0, "self_attn.q_proj.weight"), c.qDim(), d),
                RowMajor.matrix(w, ModelConfig.layer(0, "self_attn.k_proj.weight"), c.kvDim(), d));
        float[] out = RowMajor.timesTransposed(normed, v, d, stacked, width);
        if (c.attentionBias()) {
            float[] bias = concat(
                    RowMajor.vector(w, ModelConfig.layer(0, "self_attn.q_proj.bias"), c.qDim()),
                    RowMajor.vector(w, ModelConfig.layer(0, "self_attn.k_proj.bias"), c.kvDim()));
            for (int i = 0; i < out.length; i++) out[i] += bias[i % width];
        }
        return out;
    }

    private static double dot(float[] a, int ao, float[] b, int bo, int len) {
        double s = 0;
        for (int e = 0; e < len; e++) s += a[ao + e] * b[bo + e];
        return s;
    }

    /** The target the search must reproduce: layer 1's normalised input (first d coordinates) or layer 0's scores. */
    private record Observed(int positions, float[] values) {}

    private Observed observe(AloePriTarget t, Request r) {
        ModelConfig plain = t.plain().config(), served = t.obfuscated().config();
        if (kind == Kind.HIDDEN) {
            Rows h = r.in("layer." + Math.min(1, plain.numLayers() - 1) + ".qkv");
            int n = h.rows(), d = plain.hiddenSize();
            float[] first = new float[n * d];
            for (int i = 0; i < n; i++) System.arraycopy(h.data(), i * h.cols(), first, i * d, Math.min(d, h.cols()));
            return new Observed(n, first);
        }
        Rows qkv = r.out("layer.0.qkv");
        int n = qkv.rows();
        float[] q = new float[n * served.qDim()], kk = new float[n * served.kvDim()];
        for (int i = 0; i < n; i++) {
            System.arraycopy(qkv.data(), i * qkv.cols(), q, i * served.qDim(), served.qDim());
            System.arraycopy(qkv.data(), i * qkv.cols() + served.qDim(), kk, i * served.kvDim(), served.kvDim());
        }
        return new Observed(n, scores(q, kk, served, n, true));
    }

    /** RMSNorm·γ_in, then [Wq; Wk] (+ biases) and RoPE: {@code [n × (qDim + kvDim)]}, queries then keys per row. */
    private static Var queriesAndKeys(Tape tape, Transformer model, Var x, int n) {
        ModelConfig c = model.config();
        String attn = ModelConfig.layer(0, "self_attn.");
        Var normed = RmsNorm.apply(
                tape,
                x,
                model.parameter(ModelConfig.layer(0, "input_layernorm.weight")).var(),
                (float) c.rmsNormEps());
        float[] w = concat(
                model.parameter(attn + "q_proj.weight").value(),
                model.parameter(attn + "k_proj.weight").value());
        Var bias = c.attentionBias()
                ? Var.constant(
                        concat(
                                model.parameter(attn + "q_proj.bias").value(),
                                model.parameter(attn + "k_proj.bias").value()),
                        c.qDim() + c.kvDim())
                : null;
        Var qk = Linear.apply(tape, normed, Var.constant(w, c.qDim() + c.kvDim(), c.hiddenSize()), bias);
        return RotaryEmbedding.of(c).apply(tape, qk, n);
    }

    /** d(loss)/d(qk) of the mean squared error between the scores of {@code qk} and {@code observed}. */
    private static float[] scoreLossGradient(float[] qk, float[] observed, ModelConfig c, int n) {
        int qDim = c.qDim(),
                kvDim = c.kvDim(),
                hd = c.headDim(),
                width = qDim + kvDim,
                group = c.numHeads() / c.numKvHeads();
        float[] q = new float[n * qDim], k = new float[n * kvDim];
        for (int i = 0; i < n; i++) {
            System.arraycopy(qk, i * width, q, i * qDim, qDim);
            System.arraycopy(qk, i * width + qDim, k, i * kvDim, kvDim);
        }
        float[] s = scores(q, k, c, n, false);
        int pairs = c.numHeads() * n * (n + 1) / 2;
        float scale = (float) (1 / Math.sqrt(hd));
        float[] grad = new float[n * width];
        for (int h = 0; h < c.numHeads(); h++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) {
                    int at = (h * n + i) * n + j;
                    float g = 2f * (s[at] - observed[at]) / pairs * scale;
                    int qo = i * qDim + h * hd, ko = j * kvDim + (h / group) * hd;
                    for (int e = 0; e < hd; e++) {
                        grad[i * width + h * hd + e] += g * k[ko + e];
                        grad[j * width + qDim + (h / group) * hd + e] += g * q[qo + e];
                    }
                }
        return grad;
    }

    /**
     * Causal scores {@code [heads × n × n]} (zeros above the diagonal) of queries {@code q [n × qDim]} and keys
     * {@code k [n × kvDim]}; {@code rotate} applies RoPE first (the recorded q and k are taken before it).
     */
    static float[] scores(float[] q, float[] k, ModelConfig c, int n, boolean rotate) {
        int hd = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim(), group = c.numHeads() / c.numKvHeads();
        if (rotate) {
            q = q.clone();
            k = k.clone();
            Rope.Table table = Rope.of(c).table(0, n);
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < c.numHeads(); h++) table.rotate(q, i * qDim + h * hd, i);
                for (int h = 0; h < c.numKvHeads(); h++) table.rotate(k, i * kvDim + h * hd, i);
            }
        }
        float scale = (float) (1 / Math.sqrt(hd));
        float[] s = new float[c.numHeads() * n * n];
        for (int h = 0; h < c.numHeads(); h++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    int qo = i * qDim + h * hd, ko = j * kvDim + (h / group) * hd;
                    for (int e = 0; e < hd; e++) dot += q[qo + e] * k[ko + e];
                    s[(h * n + i) * n + j] = (float) (dot * scale);
                }
        return s;
    }

    static float[] softmaxRows(float[] theta, int n, int v) {
        float[] p = new float[n * v];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, theta[i * v + j]);
            double sum = 0;
            for (int j = 0; j < v; j++) sum += p[i * v + j] = (float) Math.exp(theta[i * v + j] - max);
            for (int j = 0; j < v; j++) p[i * v + j] /= (float) sum;
        }
        return p;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
