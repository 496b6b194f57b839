package dev.veil.train.nn;

import dev.veil.engine.kernel.Parallel;
import dev.veil.train.nn.kernel.VecOps;

/**
 * Causal multi-head attention with grouped key/value heads (GQA): query head {@code h} attends with key/value
 * head {@code h / (heads / kvHeads)}; {@code softmax(q·kᵀ/√headDim)} over positions up to its own.
 */
public final class CausalAttention {
    private CausalAttention() {}

    /**
     * @param q {@code [batch·seq, heads·headDim]}
     * @param k {@code [batch·seq, kvHeads·headDim]}
     * @param v {@code [batch·seq, kvHeads·headDim]}
     * @return {@code [batch·seq, heads·headDim]}
     */
    public static Var apply(Tape tape, Var q, Var k, Var v, int batch, int seq, int heads, int kvHeads, int headDim) {
        Shape s = new Shape(batch, seq, heads, kvHeads, headDim);
        if (q.size() != batch * seq * s.qWidth() || k.size() != batch * seq * s.kvWidth() || v.size() != k.size())
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + " do not fit " + s);
        float[] out = new float[q.size()];
        float[] probs = new float[batch * heads * seq * seq];
        forward(s, q.value(), k.value(), v.value(), out, probs);
        Var result = Var.result(out, tape.needsGrad(q, k, v), q.shape());
        if (result.requiresGrad()) {
            tape.record(() -> backward(s, q.value(), k.value(), v.value(), probs, result.gradBuffer(),
                    q.requiresGrad() ? q.gradBuffer() : null, k.requiresGrad() ? k.gradBuffer() : null,
                    v.requiresGrad() ? v.gradBuffer() : null));
        }
        return result;
    }

    record Shape(int batch, int seq, int heads, int kvHeads, int headDim) {
        Shape {
            if (heads % kvHeads != 0) throw new IllegalArgumentException("attention: " + heads + " heads over " + kvHeads + " kv heads");
        }

        int qWidth() { return heads * headDim; }
        int kvWidth() { return kvHeads * headDim; }
        int group() { return heads / kvHeads; }
        float scale() { return (float) (1.0 / Math.sqrt(headDim)); }
        /** Offset of query head {@code h} in row {@code t} of sequence {@code b}. */
        int qAt(int b, int t, int h) { return (b * seq + t) * qWidth() + h * headDim; }
        int kvAt(int b, int t, int kvh) { return (b * seq + t) * kvWidth() + kvh * headDim; }
        /** Offset of the probabilities of query position {@code t} (row of the seq × seq matrix). */
        int pAt(int b, int h, int t) { return ((b * heads + h) * seq + t) * seq; }
    }

    static void forward(Shape s, float[] q, float[] k, float[] v, float[] out, float[] probs) {
        int hd = s.headDim();
        float scale = s.scale();
        Parallel.shared().forEach(s.batch() * s.heads(), task -> {
            int b = task / s.heads(), h = task % s.heads(), kvh = h / s.group();
            for (int t = 0; t < s.seq(); t++) {
                int qo = s.qAt(b, t, h), po = s.pAt(b, h, t);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) {
                    float score = VecOps.dot(q, qo, k, s.kvAt(b, j, kvh), hd) * scale;
                    probs[po + j] = score;
                    max = Math.max(max, score);
                }
                float sum = 0f;
                for (int j = 0; j <= t; j++) {
                    float e = (float) Math.exp(probs[po + j] - max);
                    probs[po + j] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int j = 0; j <= t; j++) {
                    probs[po + j] *= inv;
                    VecOps.axpy(probs[po + j], v, s.kvAt(b, j, kvh), out, qo, hd);
                }
            }
        });
    }

    /**
     * With P the probabilities and dO the output gradient: dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)),
     * dq = dS·k·scale, dk = dSᵀ·q·scale, dv = Pᵀ·dO. One task per (sequence, kv head): it owns that head's dk and
     * dv and the dq of the query heads that share it, so every sum runs in a fixed order.
     */
    static void backward(Shape s, float[] q, float[] k, float[] v, float[] probs, float[] dout, float[] dq, float[] dk, float[] dv) {
        int hd = s.headDim();
        float scale = s.scale();
        Parallel.shared().forEach(s.batch() * s.kvHeads(), task -> {
            int b = task / s.kvHeads(), kvh = task % s.kvHeads();
            float[] dp = new float[s.seq()];
            for (int h = kvh * s.group(); h < (kvh + 1) * s.group(); h++) {
                for (int t = 0; t < s.seq(); t++) {
                    int qo = s.qAt(b, t, h), po = s.pAt(b, h, t);
                    float rowSum = 0f;
                    for (int j = 0; j <= t; j++) {
                        dp[j] = VecOps.dot(dout, qo, v, s.kvAt(b, j, kvh), hd);
                        rowSum += probs[po + j] * dp[j];
                    }
                    for (int j = 0; j <= t; j++) {
                        float p = probs[po + j];
                        float ds = p * (dp[j] - rowSum) * scale;
                        int kvo = s.kvAt(b, j, kvh);
                        if (dq != null) VecOps.axpy(ds, k, kvo, dq, qo, hd);
                        if (dk != null) VecOps.axpy(ds, q, qo, dk, kvo, hd);
                        if (dv != null) VecOps.axpy(p, dout, qo, dv, kvo, hd);
                    }
                }
            }
        });
    }
}
