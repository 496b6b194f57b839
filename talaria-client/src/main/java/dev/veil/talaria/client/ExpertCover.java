package dev.veil.talaria.client;

import dev.veil.talaria.protocol.MaskPrg;
import java.util.Locale;

/**
 * Which experts of a mixture-of-experts layer the client sends each row to (docs/talaria.md D10). The cloud sees, per
 * row and sparse layer, the set of experts that received it; only the chosen experts' outputs are used, so every
 * setting is lossless and differs only in work and in what that set tells the cloud:
 *
 * <ul>
 *   <li>{@link #ALL}: every expert gets every row; the set is the same for every token, so it says nothing
 *       (num_experts / k times the routed expert work).
 *   <li>{@link #topK(int) top-k plus D decoys}: the row's k chosen experts and D others drawn uniformly at random from
 *       the remaining num_experts − k, fresh for every row ((k + D) / k times the work). The cloud cannot tell which
 *       k of the k + D are real, but the set still must contain them: {@code ExpertUsageAttack} measures what that
 *       leaves.
 * </ul>
 *
 * @param decoys decoy experts per row, or -1 for every expert
 */
public record ExpertCover(int decoys) {

    /** Every expert on every row: the default. */
    public static final ExpertCover ALL = new ExpertCover(-1);

    public ExpertCover {
        if (decoys < -1) throw new IllegalArgumentException("decoy experts must be >= 0, got " + decoys);
    }

    /** The chosen experts plus {@code decoys} uniform decoys per row. */
    public static ExpertCover topK(int decoys) {
        return new ExpertCover(decoys);
    }

    public boolean all() {
        return decoys < 0;
    }

    /** {@code all}, {@code topk} or {@code topk+D}. */
    public static ExpertCover parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("all")) return ALL;
        if (t.equals("topk")) return topK(0);
        if (t.startsWith("topk+")) {
            try {
                int d = Integer.parseInt(t.substring(5));
                if (d >= 0) return topK(d);
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException(
                "MoE experts must be all, topk or topk+D (D decoy experts per row, D >= 0), not '" + text + "'");
    }

    @Override
    public String toString() {
        return all() ? "all" : decoys == 0 ? "topk" : "topk+" + decoys;
    }

    /** Experts each row is sent to, out of {@code experts} with {@code k} chosen: what one row costs. */
    public int expertsPerRow(int k, int experts) {
        return all() ? experts : Math.min(experts, k + decoys);
    }

    /**
     * Adds this cover's experts to {@code sent} ({@code [n × experts]}, true on entry for each row's chosen experts;
     * see {@code LinearBackend.coverExperts}), drawing decoys from {@code random}.
     */
    public void cover(int n, int k, int experts, boolean[] sent, MaskPrg random) {
        if (all()) {
            java.util.Arrays.fill(sent, 0, n * experts, true);
            return;
        }
        int[] rest = new int[experts];
        for (int r = 0; r < n; r++) {
            int free = 0;
            for (int e = 0; e < experts; e++) if (!sent[r * experts + e]) rest[free++] = e;
            // a partial Fisher-Yates shuffle of the unchosen experts: each D-subset equally likely
            for (int i = 0; i < Math.min(decoys, free); i++) {
                int j = i + random.nextInt(free - i);
                int pick = rest[j];
                rest[j] = rest[i];
                rest[i] = pick;
                sent[r * experts + pick] = true;
            }
        }
    }
}
