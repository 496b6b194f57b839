package dev.veil.aloepri.transform;

import java.util.ArrayList;
import java.util.List;
import org.ejml.data.DMatrixRMaj;

/**
 * φ_attn (paper Algorithm 2) on Hugging Face weights. Per head, the intra-head maps T act on the output
 * side of q/k/v (rows of W, and the bias: b̃ = b·T) and on the input side of o (U_vo⁻¹); heads are
 * re-ordered by the KV-head and in-group permutations; then the Algorithm 1 keys go on the residual side.
 */
public final class AttentionTransform {

    private AttentionTransform() {}

    public static AttentionWeights apply(
            AttentionWeights w, AttentionKeys keys, int numHeads, int numKvHeads, int headDim) {
        int group = numHeads / numKvHeads;
        List<WeightMatrix> q = new ArrayList<>(), k = new ArrayList<>(), v = new ArrayList<>(), oT = new ArrayList<>();
        float[] qb = w.qBias() == null ? null : new float[numHeads * headDim];
        float[] kb = w.kBias() == null ? null : new float[numKvHeads * headDim];
        float[] vb = w.vBias() == null ? null : new float[numKvHeads * headDim];
        WeightMatrix oTransposed = w.o().transpose();
        for (int slot = 0; slot < numKvHeads; slot++) {
            int kv = keys.kvOrder()[slot];
            HeadKey hk = keys.heads()[kv];
            k.add(outputSide(w.k(), kv, headDim, hk.key()));
            v.add(outputSide(w.v(), kv, headDim, hk.value()));
            biasInto(w.kBias(), kv, hk.key(), kb, slot, headDim);
            biasInto(w.vBias(), kv, hk.value(), vb, slot, headDim);
            for (int g = 0; g < group; g++) {
                int head = kv * group + keys.groupOrder()[slot][g];
                q.add(outputSide(w.q(), head, headDim, hk.query()));
                biasInto(w.qBias(), head, hk.query(), qb, slot * group + g, headDim);
                // o's input for this head is õ = o·U, so its columns take U⁻¹ on the left: (Wo_h·U⁻ᵀ)ᵀ = U⁻¹·Wo_hᵀ
                oT.add(WeightMatrix.of(hk.valueInverse())
                        .times(oTransposed.rowRange(head * headDim, (head + 1) * headDim)));
            }
        }
        return new AttentionWeights(
                KeyedLinear.reader(WeightMatrix.stackRows(q), keys.qReader()),
                KeyedLinear.reader(WeightMatrix.stackRows(k), keys.kReader()),
                KeyedLinear.reader(WeightMatrix.stackRows(v), keys.vReader()),
                keys.oWriter().transpose().timesTransposed(WeightMatrix.stackRows(oT)),
                qb,
                kb,
                vb);
    }

    /** Head {@code head}'s rows of W mapped by T on the output side: y_h·T = x·(Tᵀ·W_h)ᵀ. */
    private static WeightMatrix outputSide(WeightMatrix w, int head, int headDim, DMatrixRMaj t) {
        return WeightMatrix.of(t).transpose().times(w.rowRange(head * headDim, (head + 1) * headDim));
    }

    private static void biasInto(float[] bias, int head, DMatrixRMaj t, float[] out, int slot, int headDim) {
        if (bias == null) return;
        for (int c = 0; c < headDim; c++) {
            double s = 0;
            for (int r = 0; r < headDim; r++) s += bias[head * headDim + r] * t.get(r, c);
            out[slot * headDim + c] = (float) s;
        }
    }
}
