package dev.veil.attack.audit;

import dev.veil.attack.UnigramBaseline;
import dev.veil.attack.aloepri.FrequencyMatchingAttack;
import dev.veil.attack.metrics.Guesses;
import dev.veil.attack.metrics.Recovery;
import dev.veil.attack.talaria.ExpertUsageAttack;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.client.ExpertCover;
import dev.veil.talaria.protocol.MaskPrg;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Talaria audit of a mixture-of-experts model's routing: for each expert cover (top-k with D = 0, 1, 2, k decoys,
 * and every expert), what {@link ExpertUsageAttack} recovers from the per-token expert sets the cloud served, beside
 * the decoder that reads nothing, with what the cover costs.
 */
public final class ExpertUsageAudit {

    public static final String TOPK = "top-k, no decoys";

    private ExpertUsageAudit() {}

    /** The covers worth auditing on {@code c}: D = 0, 1, 2, k (those below num_experts − k) and every expert. */
    public static List<ExpertCover> standardCovers(ModelConfig c) {
        int k = c.moe().expertsPerToken(), e = c.moe().numExperts();
        List<ExpertCover> covers = new ArrayList<>();
        for (int d : new int[] {0, 1, 2, k})
            if (d < e - k && !covers.contains(ExpertCover.topK(d))) covers.add(ExpertCover.topK(d));
        covers.add(ExpertCover.ALL);
        return covers;
    }

    /** The setting's name: {@link #TOPK}, "top-k + D decoys" or "every expert". */
    public static String name(ExpertCover cover) {
        return cover.all()
                ? "every expert (default)"
                : cover.decoys() == 0 ? TOPK : "top-k + " + cover.decoys() + " decoys";
    }

    /**
     * What a cover costs per token, against sending each row to its k experts only: expert products per row and sparse
     * layer, the expert FFN work relative to top-k, FP32 bytes sent and received for the expert products (each expert
     * takes d and d_moe values in and returns 2·d_moe and d), and sequential round trips (all of a layer's experts in one
     * call per projection: gate_up, then down, whatever the cover).
     */
    public static Map<String, String> cost(ModelConfig c, ExpertCover cover) {
        int k = c.moe().expertsPerToken(), e = c.moe().numExperts(), d = c.hiddenSize();
        int per = cover.expertsPerRow(k, e),
                sparse =
                        (int) java.util.stream.IntStream.range(0, c.numLayers())
                                .filter(c::isMoeLayer)
                                .count();
        long bytes = 4L * per * sparse * (2L * d + 3L * c.moe().moeIntermediateSize());
        Map<String, String> m = new LinkedHashMap<>();
        m.put("moe experts", cover.toString());
        m.put("experts per row", per + " of " + e + " (k = " + k + ")");
        m.put("expert FFN work vs top-k", String.format("%.2fx", per / (double) k));
        m.put("expert bytes per token", Long.toString(bytes));
        m.put("expert round trips per token", Integer.toString(2 * sparse));
        return m;
    }

    /**
     * Runs every prompt greedily under each cover (decoys from a fixed stream, so runs repeat), attacks what the cloud
     * was served and scores it.
     */
    public static AuditResult run(
            ModelConfig config,
            Weights weights,
            String model,
            List<ExpertCover> covers,
            List<int[]> prompts,
            int maxTokens,
            int[] publicTokens,
            Bars bars) {
        LinearBackend backend = new LocalLinearBackend(config, weights, Parallel.shared());
        ExpertUsageAttack attack = new ExpertUsageAttack(config, backend, publicTokens);
        int[] ranking = Arrays.copyOf(
                FrequencyMatchingAttack.byCountOrder(publicTokens, config.vocabSize()),
                Math.min(10, config.vocabSize()));
        List<SettingResult> settings = new ArrayList<>();
        Map<String, AuditResult.Reference> references = new LinkedHashMap<>();
        for (ExpertCover cover : covers) {
            MaskPrg decoys = MaskPrg.derive(new byte[MaskPrg.SEED_BYTES], "expert-usage-audit/" + cover);
            List<ExpertUsageAttack.Recorded> recorded = bars.run("serve: " + name(cover), prompts.size(), p -> {
                List<ExpertUsageAttack.Recorded> out = new ArrayList<>();
                for (int[] prompt : prompts) {
                    out.add(ExpertUsageAttack.observe(config, backend, cover, decoys, prompt, maxTokens));
                    p.step();
                }
                return out;
            });
            List<int[]> truth =
                    recorded.stream().map(ExpertUsageAttack.Recorded::processed).toList();
            long t0 = System.nanoTime();
            List<Guesses> guesses = bars.run(
                    ExpertUsageAttack.NAME,
                    prompts.size(),
                    p -> attack.attack(
                            recorded.stream()
                                    .map(ExpertUsageAttack.Recorded::observation)
                                    .toList(),
                            p));
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<Guesses> nothing = truth.stream()
                    .map(t -> {
                        int[][] g = new int[t.length][];
                        Arrays.fill(g, ranking);
                        return new Guesses(g);
                    })
                    .toList();
            List<AttackResult> scores = List.of(
                    AttackResult.of(
                            UnigramBaseline.NAME,
                            "processed",
                            Recovery.score(nothing, truth, 10, config.vocabSize()),
                            Double.NaN,
                            0),
                    AttackResult.of(
                            ExpertUsageAttack.NAME,
                            "processed",
                            Recovery.score(guesses, truth, 10, config.vocabSize()),
                            Double.NaN,
                            seconds));
            settings.add(new SettingResult(
                    name(cover),
                    "decoys",
                    cover.all() ? config.moe().numExperts() - config.moe().expertsPerToken() : cover.decoys(),
                    cost(config, cover),
                    Map.of(TalariaAudit.LOSSLESS, 1.0),
                    scores));
        }
        // the default's target: what reading nothing gives there, plus one point
        double floor = settings.stream()
                .filter(s -> s.name().equals(name(ExpertCover.ALL)))
                .flatMap(s -> s.attack(UnigramBaseline.NAME).stream())
                .mapToDouble(AttackResult::top1)
                .max()
                .orElse(0);
        references.put(ExpertUsageAttack.NAME, new AuditResult.Reference(TOPK, ExpertUsageAttack.NAME));
        List<String> notes = List.of(
                "What the cloud is served: for each token and sparse layer, the set of experts that received its row"
                        + " (decode calls carry one row, so this is exact there; for a prompt the attacker is handed the"
                        + " per-row sets, more than the per-expert row counts the cloud sees).",
                "The attacker holds the public model and replays it on its own decoded prefix; decoys are uniform over"
                        + " the unchosen experts and known to it as a method.",
                "Every cover is lossless (decoy outputs are dropped); the cost columns are per generated token.");
        return new AuditResult(
                "talaria-moe-routing",
                model,
                Instant.now().toString(),
                notes,
                settings,
                references,
                name(ExpertCover.ALL),
                Map.of(ExpertUsageAttack.NAME, floor + 0.01));
    }
}
