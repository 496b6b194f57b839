package dev.veil.train.nn;

import dev.veil.engine.kernel.Gemm;
import dev.veil.engine.kernel.Parallel;
import dev.veil.train.nn.kernel.VecOps;
import java.util.Arrays;

/**
 * Causal multi-head attention with grouped key/value heads (GQA): query head {@code h} attends with key/value
 * head {@code h / (heads / kvHeads)}; {@code P = softmax(q·kᵀ/√headDim)} over positions up to its own,
 * {@code out = P·v}. Per head the products are batched matrix products on the engine's GEMM, by blocks of query
 * rows so that most of the masked half is never computed.
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
        float[] out = tape.uninitialized(q.size());
        float[] probs = tape.zeros(batch * heads * seq * seq);
        forward(s, q.value(), k.value(), v.value(), out, probs);
        Var result = Var.result(tape, out, tape.needsGrad(q, k, v), q.shape());
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

    /** Query rows per block: a block's keys stop at its last row, so the masked half of the products is skipped. */
    private static final int BLOCK = 64;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Per (sequence, head), a block of query rows at a time: scores = q·kᵀ on the keys up to the block's last row,
     * softmax per row over its own prefix, out = P·v — products on the engine's {@link Gemm}, reading the head in
     * place.
     */
    static void forward(Shape s, float[] q, float[] k, float[] v, float[] out, float[] probs) {
        int T = s.seq(), hd = s.headDim(), qw = s.qWidth(), kvw = s.kvWidth();
        float scale = s.scale();
        Parallel.shared().forEach(s.batch() * s.heads(), task -> {
            int b = task / s.heads(), h = task % s.heads(), kvh = h / s.group();
            int qo = b * T * qw + h * hd, ko = b * T * kvw + kvh * hd, po = s.pAt(b, h);
            for (int i0 = 0; i0 < T; i0 += BLOCK) {
                int i1 = Math.min(T, i0 + BLOCK), rows = i1 - i0;
                Gemm.multiply(
                        null, rows, i1, hd, q, qo + i0 * qw, qw, false, k, ko, kvw, true, probs, po + i0 * T, T, false);
                for (int t = i0; t < i1; t++) {
                    int row = po + t * T;
                    VecOps.scaledSoftmax(probs, row, t + 1, scale);
                    Arrays.fill(probs, row + t + 1, row + i1, 0f); // above the diagonal: 0
                }
                Gemm.multiply(
                        null,
                        rows,
                        hd,
                        i1,
                        probs,
                        po + i0 * T,
                        T,
                        false,
                        v,
                        ko,
                        kvw,
                        false,
                        out,
                        qo + i0 * qw,
                        qw,
                        false);
            }
        });
    }

    /**
     * With P the probabilities and dO the output gradient: dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale,
     * dq = dS·k, dk = dSᵀ·q, dv = Pᵀ·dO. One task per (sequence, kv head): it owns that head's dk and dv and the
     * dq of the query heads that share it, so every sum runs in a fixed order. Products skip the masked half the
     * same way as {@link #forward}.
     */
    static void backward(
            Shape s, float[] q, float[] k, float[] v, float[] probs, float[] dout, float[] dq, float[] dk, float[] dv) {
        int T = s.seq(), hd = s.headDim(), qw = s.qWidth(), kvw = s.kvWidth();
        float scale = s.scale();
        Parallel.shared().forEach(s.batch() * s.kvHeads(), task -> {
            int b = task / s.kvHeads(), kvh = task % s.kvHeads();
            int ko = b * T * kvw + kvh * hd;
            float[] ds = SCRATCH.get();
            if (ds.length < T * T) SCRATCH.set(ds = new float[T * T]);
            for (int h = kvh * s.group(); h < (kvh + 1) * s.group(); h++) {
                int qo = b * T * qw + h * hd, po = s.pAt(b, h);
                for (int i0 = 0; i0 < T; i0 += BLOCK) {
                    int i1 = Math.min(T, i0 + BLOCK), rows = i1 - i0;
                    Gemm.multiply(
                            null,
                            rows,
                            i1,
                            hd,
                            dout,
                            qo + i0 * qw,
                            qw,
                            false,
                            v,
                            ko,
                            kvw,
                            true,
                            ds,
                            i0 * T,
                            T,
                            false); // dP
                    for (int t = i0; t < i1; t++) {
                        VecOps.softmaxBackward(probs, po + t * T, ds, t * T, t + 1, scale);
                        Arrays.fill(ds, t * T + t + 1, (t + 1) * T, 0f);
                    }
                    if (dq != null)
                        Gemm.multiply(
                                null,
                                rows,
                                hd,
                                i1,
                                ds,
                                i0 * T,
                                T,
                                false,
                                k,
                                ko,
                                kvw,
                                false,
                                dq,
                                qo + i0 * qw,
                                qw,
                                true);
                }
                // dk and dv rows j take the sum over query rows t ≥ j only
                for (int j0 = 0; j0 < T; j0 += BLOCK) {
                    int rows = Math.min(T, j0 + BLOCK) - j0;
                    if (dk != null)
                        Gemm.multiply(
                                null,
                                rows,
                                hd,
                                T - j0,
                                ds,
                                j0 * T + j0,
                                T,
                                true,
                                q,
                                qo + j0 * qw,
                                qw,
                                false,
                                dk,
                                ko + j0 * kvw,
                                kvw,
                                true);
                    if (dv != null)
                        Gemm.multiply(
                                null,
                                rows,
                                hd,
                                T - j0,
                                probs,
                                po + j0 * T + j0,
                                T,
                                true,
                                dout,
                                qo + j0 * qw,
                                qw,
                                false,
                                dv,
                                ko + j0 * kvw,
                                kvw,
                                true);
                }
            }
        });
    }
}
