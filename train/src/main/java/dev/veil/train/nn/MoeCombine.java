package dev.veil.train.nn;

/**
 * The output of a mixture-of-experts layer: row {@code r} is {@code Σ_j w[r][j] · y_{e_j}[slot]} over its {@code k}
 * chosen experts in rank order (the engine's order), with {@code w[r][j]} the router probability of expert
 * {@code e_j}, divided by the sum of the chosen ones when {@code normTopkProb} (Qwen3-MoE's norm_topk_prob).
 * Gradients flow into every expert's output and into the chosen probabilities; the choice itself is discrete.
 */
public final class MoeCombine {
    private MoeCombine() {}

    /**
     * @param probs   {@code [n, experts]} router probabilities
     * @param chosen  {@code chosen[r·k + j]}: row r's j-th expert
     * @param slot    {@code slot[r·k + j]}: the row of {@code outputs[chosen[r·k + j]]} that holds row r
     * @param outputs per expert, its SwiGLU outputs {@code [rows routed to it, hidden]} (null: no row)
     */
    public static Var apply(
            Tape tape, Var probs, int k, boolean normTopkProb, int[] chosen, int[] slot, Var[] outputs, int hidden) {
        int n = probs.rows(), experts = probs.cols();
        float[] p = probs.value();
        float[] w = new float[n * k], sums = new float[n];
        for (int r = 0; r < n; r++) {
            float s = 0;
            for (int j = 0; j < k; j++) s += (w[r * k + j] = p[r * experts + chosen[r * k + j]]);
            sums[r] = s;
            if (normTopkProb) for (int j = 0; j < k; j++) w[r * k + j] /= s;
        }
        float[] out = tape.zeros(n * hidden);
        for (int r = 0; r < n; r++)
            for (int j = 0; j < k; j++) {
                float[] y = outputs[chosen[r * k + j]].value();
                int src = slot[r * k + j] * hidden;
                float wj = w[r * k + j];
                for (int c = 0; c < hidden; c++) out[r * hidden + c] += wj * y[src + c];
            }
        boolean grad = tape.needsGrad(probs);
        for (Var o : outputs) grad |= tape.needsGrad(o);
        Var result = Var.result(tape, out, grad, n, hidden);
        if (grad) {
            tape.record(() -> {
                float[] dout = result.gradBuffer();
                float[] dp = probs.requiresGrad() ? probs.gradBuffer() : null;
                float[] dw = new float[k];
                for (int r = 0; r < n; r++) {
                    for (int j = 0; j < k; j++) {
                        Var o = outputs[chosen[r * k + j]];
                        float[] y = o.value();
                        int src = slot[r * k + j] * hidden;
                        float wj = w[r * k + j], dot = 0;
                        float[] dy = o.requiresGrad() ? o.gradBuffer() : null;
                        for (int c = 0; c < hidden; c++) {
                            dot += dout[r * hidden + c] * y[src + c];
                            if (dy != null) dy[src + c] += wj * dout[r * hidden + c];
                        }
                        dw[j] = dot;
                    }
                    if (dp == null) continue;
                    if (!normTopkProb) {
                        for (int j = 0; j < k; j++) dp[r * experts + chosen[r * k + j]] += dw[j];
                    } else { // w_j = p_j / S: dp_j = (dw_j − Σ_i dw_i·w_i) / S
                        float mix = 0;
                        for (int j = 0; j < k; j++) mix += dw[j] * w[r * k + j];
                        for (int j = 0; j < k; j++) dp[r * experts + chosen[r * k + j]] += (dw[j] - mix) / sums[r];
                    }
                }
            });
        }
        return result;
    }
}
