package dev.veil.engine;

/**
 * The expert choice of a mixture-of-experts router: one rule for the engine ({@link Transformer#route}) and the trainer's
 * MoE layer, so that both route every row alike.
 */
public final class TopK {

    private TopK() {}

    /**
     * The indices of the {@code k} largest of {@code scores[from .. from + n)}, largest first, ties to the lower index,
     * into {@code out[at .. at + k)}.
     */
    public static void select(float[] scores, int from, int n, int k, int[] out, int at) {
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < n; e++) {
                boolean taken = false;
                for (int i = 0; i < j; i++) taken |= out[at + i] == e;
                if (!taken && (best < 0 || scores[from + e] > scores[from + best])) best = e;
            }
            out[at + j] = best;
        }
    }
}
