package dev.veil.aloepri.transform;

/**
 * φ_ffn: W̃_gate = Q̂·W_gate·Z, W̃_up = Q̂·W_up·H·Z, W̃_down = Z⁻¹·H⁻¹·W_down·P̂ (row-vector form).
 * Exact: SiLU acts per neuron, so it commutes with the permutation, and the scaling rides only on the
 * linear (up) branch, undone by down.
 */
public final class FfnTransform {

    private FfnTransform() {}

    public static FfnWeights apply(FfnWeights w, FfnKeys keys) {
        int[] order = keys.order();
        WeightMatrix gate = w.gate().gatherRows(order);
        WeightMatrix up = scaleRows(w.up().gatherRows(order), order, keys.scale(), false);
        WeightMatrix downT = scaleRows(w.down().transpose().gatherRows(order), order, keys.scale(), true);
        return new FfnWeights(
                KeyedLinear.reader(gate, keys.gateReader()),
                KeyedLinear.reader(up, keys.upReader()),
                keys.downWriter().transpose().timesTransposed(downT));
    }

    /** Row r (plain neuron order[r]) multiplied by its scale, or divided when {@code inverse}. */
    private static WeightMatrix scaleRows(WeightMatrix m, int[] order, float[] scale, boolean inverse) {
        float[] out = m.data().clone();
        for (int r = 0; r < m.rows(); r++) {
            float s = inverse ? 1 / scale[order[r]] : scale[order[r]];
            for (int c = 0; c < m.cols(); c++) out[r * m.cols() + c] *= s;
        }
        return new WeightMatrix(m.rows(), m.cols(), out);
    }
}
