package dev.veil.attack.aloepri;

import dev.veil.aloepri.FfnActivations;
import dev.veil.attack.Progress;
import dev.veil.attack.capture.Capture;
import dev.veil.attack.capture.Mode;
import dev.veil.attack.capture.Request;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The owner's audit of their own obfuscated checkpoint before it is deployed: every attack that needs only the
 * served weights and the public model (VMA and each of its single-product families, the gate and attention invariant
 * attacks, nearest embedding, and their ensemble), scored on held-out text the way a server would see it — the key's τ
 * maps the text to the ids the server would receive, and recovery is the share of those text tokens an attack maps
 * back to the right plaintext token. The reference is a decoder that reads nothing and guesses the most frequent public
 * token everywhere. An FFN unit split is undone first ({@link UnitMerge}): the attacker knows the defenses; against the
 * activation-aware W_down noise it projects down·head on the activations it measures ({@link ActivationWeightedAttack}).
 */
public final class SelfAudit {

    public static final String ENSEMBLE = "ensemble: reciprocal-rank fusion of every attack above",
            NOT_MERGED = "VMA, down·head only, split units not merged (an attacker unaware of the split)";

    /**
     * @param text  share of the held-out text tokens the attack maps back right (top-1)
     * @param vocab share of the vocabulary it maps back right
     */
    public record Row(String attack, double text, double vocab) {}

    /** @param readsNothing share of the text that is the most frequent public token ({@code readsNothingToken}) */
    public record Report(
            List<Row> rows, Row strongest, double readsNothing, int readsNothingToken, int tokens, double seconds) {

        /** The one line a user reads first: the strongest attack beside what reading nothing gives. */
        public String headline() {
            return String.format(
                    Locale.ROOT,
                    "server recovers %.1f%% of held-out text tokens (attack: %s); a decoder that reads nothing recovers %.1f%%",
                    100 * strongest.text(),
                    strongest.attack(),
                    100 * readsNothing);
        }
    }

    /** Window the attacker runs the models in to measure their FFN activations. */
    static final int CONTEXT = 256;

    private SelfAudit() {}

    /**
     * @param tau          the key's permutation, plain id → served id
     * @param heldout      plaintext token ids of text the users might send (not seen by the attacker)
     * @param publicTokens the attacker's public text, for the reads-nothing reference
     */
    public static Report run(
            ModelConfig plainConfig,
            Weights plain,
            ModelConfig servedConfig,
            Weights served,
            int[] tau,
            int[] heldout,
            int[] publicTokens,
            Progress progress) {
        long start = System.nanoTime();
        int v = plainConfig.vocabSize();
        if (tau.length != v)
            throw new IllegalArgumentException(
                    "the key's permutation has " + tau.length + " ids, the model's vocabulary " + v);
        if (heldout.length == 0) throw new IllegalArgumentException("the self-audit needs held-out text tokens");
        int[] servedIds = new int[heldout.length];
        for (int i = 0; i < heldout.length; i++) servedIds[i] = tau[heldout[i]];
        Capture capture = new Capture(
                Mode.ALOEPRI,
                Path.of("served"),
                Path.of("public"),
                Map.of(),
                List.of(new Request(0, List.of(), Map.of(), servedIds, new int[0])),
                List.of());
        AloePriTarget target = new AloePriTarget(capture, servedConfig, served, plainConfig, plain);
        int k = 10;

        Map<String, VocabMapping> mappings = new LinkedHashMap<>();
        Map<String, float[]> families = WeightProductMatchingAttack.familyVotes(target, progress);
        float[] all = new float[v * v];
        for (float[] f : families.values()) for (int i = 0; i < all.length; i++) all[i] += f[i];
        mappings.put(new WeightProductMatchingAttack(k).name(), VocabMapping.nearest(all, v, k));
        families.forEach((name, votes) ->
                mappings.put(new WeightProductMatchingAttack(k, name).name(), VocabMapping.nearest(votes, v, k)));
        families.clear();
        for (AloePriAttack a :
                List.of(new GateInvariantAttack(k), new AttentionInvariantAttack(k), new EmbeddingMatchingAttack(k)))
            mappings.put(a.name(), a.attack(target, progress).mapping());
        if (servedConfig.intermediateSize()
                == plainConfig.intermediateSize()) { // activations of split units: not built
            // the served model on the requests the server saw, the public one on the attacker's own text
            int n = Math.min(heldout.length, publicTokens.length);
            FfnActivations servedActs = FfnActivations.measure(servedConfig, served, servedIds, CONTEXT);
            FfnActivations plainActs =
                    FfnActivations.measure(plainConfig, plain, Arrays.copyOf(publicTokens, Math.max(n, 1)), CONTEXT);
            float[][] votes = ActivationWeightedAttack.votes(target, plainActs, servedActs, progress);
            for (int f = 0; f < votes.length; f++)
                mappings.put(
                        ActivationWeightedAttack.name(ActivationWeightedAttack.FLOORS[f]),
                        VocabMapping.nearest(votes[f], v, k));
        }
        mappings.put(ENSEMBLE, fuse(new ArrayList<>(mappings.values()), v, k));
        if (servedConfig.intermediateSize() != plainConfig.intermediateSize()) {
            AloePriTarget naive = new AloePriTarget(capture, servedConfig, served, plainConfig, plain, false);
            mappings.put(
                    NOT_MERGED,
                    new WeightProductMatchingAttack(k, "down·head")
                            .attack(naive, progress)
                            .mapping());
        }

        List<Row> rows = new ArrayList<>();
        mappings.forEach((name, m) -> rows.add(new Row(name, textRecovery(m, tau, heldout), m.vocabularyTop1(tau))));
        Row strongest = rows.stream().max(Comparator.comparingDouble(Row::text)).orElseThrow();
        int top = FrequencyMatchingAttack.byCountOrder(publicTokens, v)[0];
        int same = 0;
        for (int t : heldout) if (t == top) same++;
        return new Report(
                rows,
                strongest,
                (double) same / heldout.length,
                top,
                heldout.length,
                (System.nanoTime() - start) / 1e9);
    }

    /** Share of {@code heldout} whose served id the mapping sends back to the token itself. */
    static double textRecovery(VocabMapping m, int[] tau, int[] heldout) {
        int hits = 0;
        for (int t : heldout) if (m.ranked()[tau[t]][0] == t) hits++;
        return (double) hits / heldout.length;
    }

    /** Reciprocal-rank fusion: candidate c of served id o scores Σ over mappings 1/(60 + rank), best first. */
    static VocabMapping fuse(List<VocabMapping> ms, int v, int k) {
        int[][] ranked = new int[v][];
        for (int o = 0; o < v; o++) {
            Map<Integer, Double> score = new HashMap<>();
            for (VocabMapping m : ms) {
                int[] r = m.ranked()[o];
                for (int i = 0; i < r.length; i++) score.merge(r[i], 1.0 / (60 + i), Double::sum);
            }
            ranked[o] = score.entrySet().stream()
                    .sorted(Map.Entry.<Integer, Double>comparingByValue().reversed())
                    .limit(k)
                    .mapToInt(Map.Entry::getKey)
                    .toArray();
        }
        return new VocabMapping(ranked);
    }
}
