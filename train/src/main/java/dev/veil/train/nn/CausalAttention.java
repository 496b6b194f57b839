package dev.veil.train.nn;

import dev.veil.engine.kernel.Parallel;
import dev.veil.train.nn.kernel.Matmul;
import dev.veil.train.nn.kernel.VecOps;
import java.util.Arrays;

/**
 * Causal multi-head attention with grouped key/value heads (GQA): query head {@code h} attends with key/value
 * head {@code h / (heads / kvHeads)}; {@code P = softmax(q·kᵀ/√headDim)} over positions up to its own,
 * {@code out = P·v}. Per head the products are whole-matrix products (the masked half of {@code q·kᵀ} is computed
 * and discarded: cheaper than a dot product per pair).
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
            tape.record(() -> backward(
                    s,
                    q.value(),
                    k.value(),
                    v.value(),
                    probs,
                    result.gradBuffer(),
                    q.requiresGrad() ? q.gradBuffer() : null,
                    k.requiresGrad() ? k.gradBuffer() : null,
                    v.requiresGrad() ? v.gradBuffer() : null));
        }
        return result;
    }

    record Shape(int batch, int seq, int heads, int kvHeads, int headDim) {
        Shape {
            if (heads % kvHeads != 0)
                throw new IllegalArgumentException("attention: " + heads + " heads over " + kvHeads + " kv heads");
        }

        int qWidth() {
            return heads * headDim;
        }

        int kvWidth() {
            return kvHeads * headDim;
        }

        int group() {
            return heads / kvHeads;
        }

        float scale() {
            return (float) (1.0 / Math.sqrt(headDim));
        }
        /** Offset of the seq × seq probabilities of head {@code h} of sequence {@code b}. */
        int pAt(int b, int h) {
            return (b * heads + h) * seq * seq;
        }
    }

    /** Copies head {@code h} of sequence {@code b} out of rows of {@code width} into a {@code seq × headDim} matrix. */
    private static float[] gather(float[] x, Shape s, int b, int h, int width) {
        float[] m = new float[s.seq() * s.headDim()];
        for (int t = 0; t < s.seq(); t++)
            System.arraycopy(x, (b * s.seq() + t) * width + h * s.headDim(), m, t * s.headDim(), s.headDim());
        return m;
    }

    /** Adds a {@code seq × headDim} matrix into head {@code h} of sequence {@code b}. */
    private static void scatterAdd(float[] m, float[] x, Shape s, int b, int h, int width) {
        for (int t = 0; t < s.seq(); t++) {
            int o = (b * s.seq() + t) * width + h * s.headDim();
            for (int i = 0; i < s.headDim(); i++) x[o + i] += m[t * s.headDim() + i];
        }
    }

    static void forward(Shape s, float[] q, float[] k, float[] v, float[] out, float[] probs) {
        int T = s.seq(), hd = s.headDim();
        float scale = s.scale();
        Parallel.shared().forEach(s.batch() * s.heads(), task -> {
            int b = task / s.heads(), h = task % s.heads(), kvh = h / s.group();
            float[] qh = gather(q, s, b, h, s.qWidth());
            float[] kt = VecOps.transposeSerial(gather(k, s, b, kvh, s.kvWidth()), T, hd);
            float[] scores = new float[T * T];
            Matmul.multiplySerial(scores, qh, kt, T, hd, T, false);
            int po = s.pAt(b, h);
            for (int t = 0; t < T; t++) {
                int row = t * T;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) max = Math.max(max, scores[row + j] * scale);
                float sum = 0f;
                for (int j = 0; j <= t; j++) {
                    float e = VecOps.exp(scores[row + j] * scale - max);
                    probs[po + row + j] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int j = 0; j <= t; j++) probs[po + row + j] *= inv; // above the diagonal stays 0
            }
            float[] oh = new float[T * hd];
            Matmul.multiplySerial(
                    oh, Arrays.copyOfRange(probs, po, po + T * T), gather(v, s, b, kvh, s.kvWidth()), T, T, hd, false);
            scatterAdd(oh, out, s, b, h, s.qWidth());
        });
    }

    /**
     * With P the probabilities and dO the output gradient: dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale,
     * dq = dS·k, dk = dSᵀ·q, dv = Pᵀ·dO. One task per (sequence, kv head): it owns that head's dk and dv and the
     * dq of the query heads that share it, so every sum runs in a fixed order.
     */
    static void backward(
            Shape s, float[] q, float[] k, float[] v, float[] probs, float[] dout, float[] dq, float[] dk, float[] dv) {
        int T = s.seq(), hd = s.headDim();
        float scale = s.scale();
        Parallel.shared().forEach(s.batch() * s.kvHeads(), task -> {
            int b = task / s.kvHeads(), kvh = task % s.kvHeads();
            float[] kh = gather(k, s, b, kvh, s.kvWidth());
            float[] vt = VecOps.transposeSerial(gather(v, s, b, kvh, s.kvWidth()), T, hd);
            float[] dkh = new float[T * hd], dvh = new float[T * hd];
            for (int h = kvh * s.group(); h < (kvh + 1) * s.group(); h++) {
                float[] p = Arrays.copyOfRange(probs, s.pAt(b, h), s.pAt(b, h) + T * T);
                float[] doh = gather(dout, s, b, h, s.qWidth());
                float[] dp = new float[T * T];
                Matmul.multiplySerial(dp, doh, vt, T, hd, T, false);
                float[] ds = new float[T * T];
                for (int t = 0; t < T; t++) {
                    int row = t * T;
                    float rowSum = 0f;
                    for (int j = 0; j <= t; j++) rowSum += p[row + j] * dp[row + j];
                    for (int j = 0; j <= t; j++) ds[row + j] = p[row + j] * (dp[row + j] - rowSum) * scale;
                }
                if (dq != null) {
                    float[] dqh = new float[T * hd];
                    Matmul.multiplySerial(dqh, ds, kh, T, T, hd, false);
                    scatterAdd(dqh, dq, s, b, h, s.qWidth());
                }
                if (dk != null)
                    Matmul.multiplySerial(
                            dkh, VecOps.transposeSerial(ds, T, T), gather(q, s, b, h, s.qWidth()), T, T, hd, true);
                if (dv != null) Matmul.multiplySerial(dvh, VecOps.transposeSerial(p, T, T), doh, T, T, hd, true);
            }
            if (dk != null) scatterAdd(dkh, dk, s, b, kvh, s.kvWidth());
            if (dv != null) scatterAdd(dvh, dv, s, b, kvh, s.kvWidth());
        });
    }
}
