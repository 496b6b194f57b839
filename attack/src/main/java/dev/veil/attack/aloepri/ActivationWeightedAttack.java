package dev.veil.attack.aloepri;

import dev.veil.aloepri.FfnActivations;
import dev.veil.aloepri.transform.FfnDefense;
import dev.veil.attack.Progress;
import dev.veil.attack.math.RowMajor;
import dev.veil.model.ModelConfig;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;

/**
 * VMA on down·head for an attacker who knows the activation-aware W_down noise ({@code --ffn-noise-profile
 * activation}), which lies where the FFN activations a hardly reach. The attacker measures each side's activation
 * moment M = E[a·aᵀ] by running the model (the served one on the requests it captured, the public one on its own public
 * text: the engine is standard) and projects head·W_down on the activations' principal directions before the
 * sorted-row matching, which removes the noise outside them ({@link #projected}). Mixture-of-experts layers: per expert.
 */
final class ActivationWeightedAttack {

    private ActivationWeightedAttack() {}

    /** The kept directions' eigenvalue floors, relative to the mean: the compiler's ε and two stricter cuts. */
    static final double[] FLOORS = {FfnDefense.ACTIVATION_EPS, 0.1, 1};

    /** The attack's name with directions of eigenvalue ≥ {@code floor}·mean kept. */
    static String name(double floor) {
        return "VMA, down·head on the measured activations' principal directions (eigenvalue ≥ " + floor
                + "·mean; knows the activation-aware noise)";
    }

    /**
     * The denoised product: in unit coordinates normalised by each unit's measured activation RMS (D), the FFN scaling
     * cancels and the served units are the plain ones permuted, so the projector on the top eigenvectors of the
     * activation correlation D⁻¹·M·D⁻¹ is the plain one permuted too, and {@code head·W_down·D·U_r·U_rᵀ} is the plain
     * product with its columns permuted — minus whatever noise lay outside those directions. The directions kept are
     * those with eigenvalue ≥ floor·mean; the noise's weight falls as 1/√(λ + ε·mean) (ε the compiler's own, {@code
     * FfnDefense.ACTIVATION_EPS}), so the attacker tries that floor and stricter ones ({@link #FLOORS}).
     *
     * @return the summed votes {@code [V_served × V_plain]} over layers per floor (smaller is likelier)
     */
    static float[][] votes(AloePriTarget t, FfnActivations plain, FfnActivations served, Progress progress) {
        int v = t.vocab(), layers = t.plain().config().numLayers();
        float[][] votes = new float[FLOORS.length][v * v];
        for (int l = 0; l < layers; l++) {
            int layer = l;
            for (int f = 0; f < FLOORS.length; f++) {
                double floor = FLOORS[f];
                var product = new WeightProductMatchingAttack.Product(
                        "layer " + l + " down·head",
                        s -> s.ffnWidth(layer),
                        s -> projected(s, s == t.plain() ? plain : served, layer, floor));
                WeightProductMatchingAttack.addVotes(product, t, votes[f]);
            }
            progress.step();
        }
        return votes;
    }

    static float[] projected(AloePriTarget.Side s, FfnActivations a, int l, double floor) {
        ModelConfig c = s.config();
        int v = s.vocab(), width = s.ffnWidth(l);
        int blocks = c.isMoeLayer(l) ? c.moe().numExperts() : 1, w = width / blocks;
        float[] p = s.downHead(l), out = new float[v * width];
        for (int b = 0; b < blocks; b++) {
            double[] m = a.moment(l, b);
            double[] rms = new double[w];
            for (int j = 0; j < w; j++) rms[j] = Math.sqrt(Math.max(0, m[j * w + j]));
            double[] corr = new double[w * w];
            for (int i = 0; i < w; i++)
                for (int j = 0; j < w; j++)
                    corr[i * w + j] = rms[i] > 0 && rms[j] > 0 ? m[i * w + j] / (rms[i] * rms[j]) : 0;
            boolean active = false;
            for (double r : rms) active |= r > 0 && Double.isFinite(r);
            var eig = DecompositionFactory_DDRM.eig(w, true, true);
            // an expert the measuring text never routed to has no directions: its block stays 0, as for a silent unit
            if (!active || !eig.decompose(new DMatrixRMaj(w, w, true, corr))) continue;
            double mean = 0;
            for (int k = 0; k < w; k++) mean += eig.getEigenvalue(k).getReal() / w;
            float[] proj = new float[w * w]; // U_r·U_rᵀ
            for (int k = 0; k < w; k++) {
                if (eig.getEigenvalue(k).getReal() < floor * mean) continue;
                DMatrixRMaj u = eig.getEigenVector(k);
                for (int i = 0; i < w; i++)
                    for (int j = 0; j < w; j++) proj[i * w + j] += (float) (u.get(i) * u.get(j));
            }
            float[] pb = new float[v * w];
            for (int r = 0; r < v; r++)
                for (int j = 0; j < w; j++) pb[r * w + j] = (float) (p[r * width + b * w + j] * rms[j]);
            float[] q = RowMajor.timesTransposed(pb, v, w, proj, w); // the projector is symmetric
            for (int r = 0; r < v; r++) System.arraycopy(q, r * w, out, r * width + b * w, w);
        }
        return out;
    }
}
