package dev.veil.engine;

import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deliberately naive double-precision forward pass of a Llama / Qwen2 / Qwen3 / Qwen3-MoE decoder, written the
 * obvious way after Hugging Face's modeling_llama / modeling_qwen2 / modeling_qwen3(_moe) (weights applied where HF applies them, rotate_half RoPE, llama3
 * rope scaling, repeat_kv GQA), one token at a time, for checking the engine. Shares no code with the engine.
 */
public final class ReferenceModel {

    private final ModelConfig c;
    private final Weights w;
    private final double[] invFreq;
    /** keys.get(layer).get(position) = [kvDim] */
    private final List<List<double[]>> keys = new ArrayList<>();

    private final List<List<double[]>> values = new ArrayList<>();

    public ReferenceModel(ModelConfig c, Weights w) {
        this.c = c;
        this.w = w;
        this.invFreq = inverseFrequencies(c);
        for (int l = 0; l < c.numLayers(); l++) {
            keys.add(new ArrayList<>());
            values.add(new ArrayList<>());
        }
    }

    /** HF's default inv_freq, then _compute_llama3_parameters when rope_scaling is llama3. */
    public static double[] inverseFrequencies(ModelConfig c) {
        int d = c.headDim();
        double[] f = new double[d / 2];
        for (int j = 0; j < d / 2; j++) f[j] = 1.0 / Math.pow(c.ropeTheta(), (double) (2 * j) / d);
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s == null) return f;
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        double[] out = new double[f.length];
        for (int j = 0; j < f.length; j++) {
            double wavelen = 2 * Math.PI / f[j];
            if (wavelen < highWavelen) out[j] = f[j];
            else if (wavelen > lowWavelen) out[j] = f[j] / s.factor();
            else {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                out[j] = (1 - smooth) * f[j] / s.factor() + smooth * f[j];
            }
        }
        return out;
    }

    public int position() {
        return keys.get(0).size();
    }

    /** Feeds one token at the next position; returns its logits. */
    public double[] step(int token) {
        int pos = position();
        int hd = c.headDim();
        double[] h = row(w.get("model.embed_tokens.weight"), token);
        for (int l = 0; l < c.numLayers(); l++) {
            double[] xn = norm(h, vec(ModelConfig.layer(l, "input_layernorm.weight")));
            double[] q = linear(xn, ModelConfig.layer(l, "self_attn.q_proj"));
            double[] k = linear(xn, ModelConfig.layer(l, "self_attn.k_proj"));
            double[] v = linear(xn, ModelConfig.layer(l, "self_attn.v_proj"));
            if (c.qkNorm()) { // Qwen3RMSNorm over head_dim on each head, before RoPE
                double[] qn = vec(ModelConfig.layer(l, "self_attn.q_norm.weight")),
                        kn = vec(ModelConfig.layer(l, "self_attn.k_norm.weight"));
                for (int head = 0; head < c.numHeads(); head++) normHead(q, head * hd, qn);
                for (int head = 0; head < c.numKvHeads(); head++) normHead(k, head * hd, kn);
            }
            for (int head = 0; head < c.numHeads(); head++) rope(q, head * hd, pos);
            for (int head = 0; head < c.numKvHeads(); head++) rope(k, head * hd, pos);
            keys.get(l).add(k);
            values.get(l).add(v);

            double[] attn = new double[c.numHeads() * hd];
            for (int head = 0; head < c.numHeads(); head++) {
                int kvHead = head / (c.numHeads() / c.numKvHeads());
                double[] scores = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= pos; s++) {
                    double dot = 0;
                    for (int i = 0; i < hd; i++)
                        dot += q[head * hd + i] * keys.get(l).get(s)[kvHead * hd + i];
                    scores[s] = dot / Math.sqrt(hd);
                    max = Math.max(max, scores[s]);
                }
                double sum = 0;
                for (int s = 0; s <= pos; s++) sum += scores[s] = Math.exp(scores[s] - max);
                for (int s = 0; s <= pos; s++)
                    for (int i = 0; i < hd; i++)
                        attn[head * hd + i] += scores[s] / sum * values.get(l).get(s)[kvHead * hd + i];
            }
            add(h, linear(attn, ModelConfig.layer(l, "self_attn.o_proj")));

            double[] xn2 = norm(h, vec(ModelConfig.layer(l, "post_attention_layernorm.weight")));
            add(h, c.isMoeLayer(l) ? sparseMlp(xn2, l) : mlp(xn2, ModelConfig.layer(l, "mlp.")));
        }
        double[] hn = norm(h, vec("model.norm.weight"));
        String head = w.contains("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
        return matVec(w.get(head), hn);
    }

    /** SwiGLU MLP under {@code prefix} (gate_proj, up_proj, down_proj). */
    private double[] mlp(double[] x, String prefix) {
        double[] gate = linear(x, prefix + "gate_proj");
        double[] up = linear(x, prefix + "up_proj");
        double[] act = new double[gate.length];
        for (int i = 0; i < act.length; i++) act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        return linear(act, prefix + "down_proj");
    }

    /** Qwen3MoeSparseMoeBlock: softmax(router), topk, optional renormalisation, weighted sum of the experts' MLPs. */
    private double[] sparseMlp(double[] x, int l) {
        double[] p = linear(x, ModelConfig.layer(l, "mlp.gate"));
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : p) max = Math.max(max, v);
        for (int e = 0; e < p.length; e++) sum += p[e] = Math.exp(p[e] - max);
        for (int e = 0; e < p.length; e++) p[e] /= sum;
        int k = c.moe().expertsPerToken();
        Integer[] order = new Integer[p.length];
        for (int e = 0; e < p.length; e++) order[e] = e;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double top = 0;
        for (int j = 0; j < k; j++) top += p[order[j]];
        double[] out = new double[x.length];
        for (int j = 0; j < k; j++) {
            double weight = c.moe().normTopkProb() ? p[order[j]] / top : p[order[j]];
            double[] y = mlp(x, ModelConfig.layer(l, "mlp.experts." + order[j] + "."));
            for (int i = 0; i < out.length; i++) out[i] += weight * y[i];
        }
        return out;
    }

    /** In place: one head's slice through HF's RMSNorm with {@code weight} over head_dim. */
    private void normHead(double[] x, int off, double[] weight) {
        double[] n = norm(Arrays.copyOfRange(x, off, off + weight.length), weight);
        System.arraycopy(n, 0, x, off, n.length);
    }

    /** rotate_half: q·cos + rotate_half(q)·sin with rotate_half(q) = [-q2, q1]. */
    private void rope(double[] x, int off, int pos) {
        int half = c.headDim() / 2;
        for (int j = 0; j < half; j++) {
            double cos = Math.cos(pos * invFreq[j]), sin = Math.sin(pos * invFreq[j]);
            double a = x[off + j], b = x[off + j + half];
            x[off + j] = a * cos - b * sin;
            x[off + j + half] = b * cos + a * sin;
        }
    }

    /** HF LlamaRMSNorm: weight · (x / sqrt(mean(x²) + eps)). */
    private double[] norm(double[] x, double[] weight) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = weight[i] * (x[i] * inv);
        return out;
    }

    private double[] linear(double[] x, String prefix) {
        double[] y = matVec(w.get(prefix + ".weight"), x);
        if (w.contains(prefix + ".bias")) add(y, vec(prefix + ".bias"));
        return y;
    }

    private static double[] matVec(Tensor m, double[] x) {
        int rows = m.rows(), cols = m.cols();
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int k = 0; k < cols; k++) s += m.getFloat((long) r * cols + k) * x[k];
            y[r] = s;
        }
        return y;
    }

    private double[] vec(String name) {
        Tensor t = w.get(name);
        double[] out = new double[(int) t.size()];
        for (int i = 0; i < out.length; i++) out[i] = t.getFloat(i);
        return out;
    }

    private static double[] row(Tensor m, int r) {
        double[] out = new double[m.cols()];
        for (int i = 0; i < out.length; i++) out[i] = m.getFloat((long) r * m.cols() + i);
        return out;
    }

    private static void add(double[] acc, double[] x) {
        for (int i = 0; i < acc.length; i++) acc[i] += x[i];
    }
}
