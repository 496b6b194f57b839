package dev.veil.attack.audit;

import dev.veil.attack.TokenStream;
import dev.veil.attack.UnigramBaseline;
import dev.veil.attack.aloepri.FrequencyMatchingAttack;
import dev.veil.attack.capture.Capture;
import dev.veil.attack.capture.CaptureFiles;
import dev.veil.attack.capture.TalariaRun;
import dev.veil.attack.capture.Truth;
import dev.veil.attack.metrics.Guesses;
import dev.veil.attack.metrics.Recovery;
import dev.veil.attack.talaria.ComplementProjectionAttack;
import dev.veil.attack.talaria.DifferencingAttack;
import dev.veil.attack.talaria.JointLikelihoodAttack;
import dev.veil.attack.talaria.LearnedProbeAttack;
import dev.veil.attack.talaria.LmHeadArgmaxAttack;
import dev.veil.attack.talaria.MlpProbeAttack;
import dev.veil.attack.talaria.NearestEmbeddingAttack;
import dev.veil.attack.talaria.OneHotArgmaxAttack;
import dev.veil.attack.talaria.SubspaceEstimationAttack;
import dev.veil.attack.talaria.TalariaAttack;
import dev.veil.attack.talaria.TalariaTarget;
import dev.veil.attack.talaria.VocabularyMatchingAttack;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.protocol.MaskSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.DoubleStream;

/**
 * The Talaria audit: runs the deployment under a range of mask settings (each the real cloud, setup authority and
 * client on loopback, recorded at the cloud's door), runs every attack on every capture and scores it against the
 * plaintext. Each attack is also run on the setting it is built to break, so its protected numbers sit next to proof
 * that it works.
 */
public final class TalariaAudit {

    /** The accuracy measure: the share of requests whose greedy output equals the plain engine's. */
    static final String LOSSLESS = "outputs equal to plain";

    public static final String PLAINTEXT = "plaintext (no masks)",
            DEFAULT = "default: one-time pool masks per request",
            REMO_SESSION = "ReMO m/d 0.5, one M_pub per session",
            REUSED = "reused mask (strawman, not a Veil option)";

    /** A deployment setting: its name, the sweep axis it belongs to and its place there, and the client. */
    public record Setting(String name, String axis, double x, TalariaRun.Client client) {}

    /**
     * @param prompts            the users' prompts (token ids)
     * @param publicTokens       the attacker's public text, tokenized (learned probe, first-position prior)
     * @param matchBudget        vocabulary matching: candidates tried per position at most
     * @param matchRequests      vocabulary matching: how many requests it attacks (it is the slow one)
     * @param matchSettings      settings vocabulary matching runs on (by name)
     */
    public record Options(
            List<int[]> prompts,
            int maxTokens,
            int[] publicTokens,
            int matchBudget,
            int matchRequests,
            List<String> matchSettings,
            Path saveCaptures,
            int jointBeams,
            int jointCandidates,
            boolean oracle,
            Predicate<String> onlyAttacks) {}

    /**
     * The mask-scale sweep: σ per coordinate = scale × the row's L2 norm (default 2). At the bundled model's d = 256
     * these are 2, 8, 32 and 128 times the rows' rms.
     */
    static final double[] MASK_SCALES = {0.125, 0.5, 2, 8};

    /** The strawman's mask scale; differencing cancels a reused mask whatever its size. */
    static final double REUSED_SCALE = 8;

    private TalariaAudit() {}

    /** Veil's settings worth auditing: plaintext, the default, the mask options, ReMO across m/d, and the strawman. */
    public static List<Setting> standardSettings(ModelConfig c) {
        return standardSettings(c, MASK_SCALES);
    }

    /** The standard settings with the mask-scale sweep at {@code maskScales} (and the default's own scale). */
    public static List<Setting> standardSettings(ModelConfig c, double[] maskScales) {
        TalariaOptions d = TalariaOptions.DEFAULT.resolve(c);
        maskScales = DoubleStream.concat(Arrays.stream(maskScales), DoubleStream.of(d.maskScale()))
                .distinct()
                .sorted()
                .toArray();
        List<Setting> s = new ArrayList<>();
        s.add(new Setting(PLAINTEXT, "", 0, new TalariaRun.Veil(TalariaOptions.plaintext())));
        s.add(new Setting(DEFAULT, "", 0, new TalariaRun.Veil(d)));
        for (double scale : maskScales)
            s.add(new Setting(
                    scale == d.maskScale() ? DEFAULT : "one-time pool masks per request, mask scale " + scale,
                    "mask scale",
                    scale,
                    new TalariaRun.Veil(d.withMaskScale(scale))));
        s.add(new Setting(
                "one-time pool masks, one setup per session",
                "",
                0,
                new TalariaRun.Veil(d.withRefresh(TalariaOptions.Refresh.SESSION))));
        for (double r : new double[] {0.25, 0.5, 0.75, 0.9}) {
            String name = r == 0.5 ? REMO_SESSION : "ReMO m/d " + r + ", one M_pub per session";
            s.add(new Setting(
                    name,
                    "m/d",
                    r,
                    new TalariaRun.Veil(d.withHidden(MaskSpec.remo(r)).withRefresh(TalariaOptions.Refresh.SESSION))));
        }
        s.add(new Setting(
                "ReMO m/d 0.5, new M_pub per request", "", 0, new TalariaRun.Veil(d.withHidden(MaskSpec.remo(0.5)))));
        s.add(new Setting(REUSED, "", 0, new TalariaRun.ReusedMask(REUSED_SCALE)));
        return s;
    }

    /** Each attack's own setting: where it must work. */
    static Map<String, AuditResult.Reference> references(List<TalariaAttack> attacks) {
        Map<String, AuditResult.Reference> m = new LinkedHashMap<>();
        for (TalariaAttack a : attacks) {
            if (AuditResult.readsNothing(a.name())) continue;
            String ref = switch (a) {
                case ComplementProjectionAttack c -> REMO_SESSION;
                case SubspaceEstimationAttack s -> REMO_SESSION;
                case DifferencingAttack d -> REUSED;
                default -> PLAINTEXT;
            };
            m.put(a.name(), new AuditResult.Reference(ref, a.name()));
        }
        return m;
    }

    static List<TalariaAttack> attacks(ModelConfig c, Options o) {
        int k = 10;
        int[] unigram = FrequencyMatchingAttack.byCountOrder(o.publicTokens(), c.vocabSize());
        // the joint decoder with its beam and greedily (beam 1): neither search dominates the other, the headline takes
        // the better
        var joint = new JointLikelihoodAttack.Options(
                o.jointBeams(),
                o.jointCandidates(),
                true,
                true,
                true,
                JointLikelihoodAttack.unigramPrior(o.publicTokens(), c.vocabSize()),
                null);
        var greedySearch =
                new JointLikelihoodAttack.Options(1, o.jointCandidates(), true, true, true, joint.firstPrior(), null);
        List<TalariaAttack> all = new ArrayList<>(List.of(
                new UnigramBaseline(o.publicTokens(), c.vocabSize(), TokenStream.PROCESSED, k),
                new JointLikelihoodAttack(joint.readingNothing(), k),
                new JointLikelihoodAttack(joint, k)));
        if (o.jointBeams() > 1)
            all.addAll(List.of(
                    new JointLikelihoodAttack(greedySearch.readingNothing(), k),
                    new JointLikelihoodAttack(greedySearch, k)));
        all.addAll(List.of(
                new NearestEmbeddingAttack(k),
                new OneHotArgmaxAttack(k),
                new LmHeadArgmaxAttack(k),
                new ComplementProjectionAttack(k),
                new SubspaceEstimationAttack(k),
                new DifferencingAttack(k),
                new LearnedProbeAttack(o.publicTokens(), k, 1),
                new MlpProbeAttack(o.publicTokens(), 256, 400, k, 1),
                new VocabularyMatchingAttack(
                        VocabularyMatchingAttack.defaultTarget(c.numLayers()), o.matchBudget(), 1e-3, unigram, k)));
        return all;
    }

    /** The attacks the options select; those that read nothing always run (every headline stands beside them). */
    static List<TalariaAttack> selected(ModelConfig c, Options o) {
        return attacks(c, o).stream()
                .filter(a ->
                        AuditResult.readsNothing(a.name()) || o.onlyAttacks().test(a.name()))
                .toList();
    }

    /** Analysis, not an attack: the joint evidence alone (no prior, no decoding rule) given each request's true prefix. */
    static TalariaAttack evidenceGivenTruePrefix(Truth truth, int candidates) {
        List<int[]> processed =
                truth.requests().stream().map(Truth.RequestTruth::processed).toList();
        return new JointLikelihoodAttack(
                new JointLikelihoodAttack.Options(1, candidates, true, false, false, null, processed), 10);
    }

    public static AuditResult run(
            ModelConfig config, Weights weights, Path model, List<Setting> settings, Options o, Bars bars) {
        List<TalariaAttack> attacks = selected(config, o);
        Map<String, SettingResult> done = new LinkedHashMap<>();
        for (Setting s : settings) {
            if (done.containsKey(s.name())) { // the default sits on an axis too: run once, plot everywhere
                SettingResult r = done.get(s.name());
                done.put(
                        s.name() + "@" + s.axis(),
                        new SettingResult(r.name(), s.axis(), s.x(), r.setting(), r.accuracy(), r.attacks()));
                continue;
            }
            TalariaRun.Result run = bars.run("capture: " + s.name(), o.prompts().size(), p -> {
                try {
                    return TalariaRun.run(
                            config, weights, model, s.client(), o.prompts(), o.maxTokens(), TalariaRun.all(), p::step);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (o.saveCaptures() != null) save(o.saveCaptures().resolve(slug(s.name())), run.capture(), run.truth());
            List<AttackResult> scores = new ArrayList<>();
            for (TalariaAttack a : attacks) {
                boolean slow = a instanceof VocabularyMatchingAttack || a instanceof MlpProbeAttack;
                if (slow && !o.matchSettings().contains(s.name())) continue;
                Capture c =
                        a instanceof VocabularyMatchingAttack ? limit(run.capture(), o.matchRequests()) : run.capture();
                scores.add(score(a, new TalariaTarget(c, config, weights), run.truth(), bars));
            }
            if (o.oracle())
                scores.add(score(
                        evidenceGivenTruePrefix(run.truth(), o.jointCandidates()),
                        new TalariaTarget(run.capture(), config, weights),
                        run.truth(),
                        bars));
            Map<String, Double> accuracy =
                    Map.of(LOSSLESS, (double) run.matchingPlain() / o.prompts().size());
            done.put(
                    s.name(),
                    new SettingResult(s.name(), s.axis(), s.x(), run.capture().setting(), accuracy, scores));
        }
        Map<String, Double> targets = new LinkedHashMap<>();
        for (TalariaAttack a : attacks) if (!AuditResult.readsNothing(a.name())) targets.put(a.name(), 0.01);
        // the joint attack decodes with the model's prior: its target is the better reads-nothing twin's score plus one
        // point
        SettingResult def = done.get(DEFAULT);
        List<JointLikelihoodAttack> joints = attacks.stream()
                .filter(a -> a instanceof JointLikelihoodAttack j && !AuditResult.readsNothing(j.name()))
                .map(JointLikelihoodAttack.class::cast)
                .toList();
        if (def != null) {
            double twins = joints.stream()
                    .flatMap(j -> def.attack(j.twinName()).stream())
                    .mapToDouble(AttackResult::top1)
                    .max()
                    .orElse(0);
            for (JointLikelihoodAttack j : joints) targets.put(j.name(), twins + 0.01);
        }
        List<String> notes = List.of(
                "Every capture is what the cloud received, recorded by a proxy at its door; the truth is the client's plaintext.",
                "Recovery is exact top-1 over token positions (the papers' token reconstruction accuracy); top-10 and corpus BLEU-4 beside it.",
                "Talaria is lossless: the accuracy cost ('outputs equal to plain') is the share of requests whose greedy output equals the plain engine's.",
                "Two decoders read nothing: the most frequent public tokens, and the joint decoder with the model's prior and the greedy rule but no rows. An attack leaks only what it recovers beyond the better of them.");
        return new AuditResult(
                "talaria",
                model.toString(),
                Instant.now().toString(),
                notes,
                new ArrayList<>(done.values()),
                references(attacks),
                DEFAULT,
                targets);
    }

    /** Scores one attack on one capture. */
    public static AttackResult score(TalariaAttack a, TalariaTarget t, Truth truth, Bars bars) {
        long t0 = System.nanoTime();
        List<Guesses> g = bars.run(a.name(), t.requests().size(), p -> a.attack(t, p));
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < g.size(); i++)
            expected.add(
                    a.stream().truth(truth.requests().get(t.requests().get(i).index())));
        Recovery r = Recovery.score(g, expected, 10, t.vocab());
        return AttackResult.of(
                a.name(), a.stream().name().toLowerCase(), r, Double.NaN, (System.nanoTime() - t0) / 1e9);
    }

    /** Attacks one saved capture (the {@code veil audit --capture} path): every attack, one setting. */
    public static AuditResult attackCapture(
            Capture capture, Truth truth, ModelConfig config, Weights weights, Options o, Bars bars) {
        TalariaTarget t = new TalariaTarget(capture, config, weights);
        List<AttackResult> scores = new ArrayList<>();
        for (TalariaAttack a : selected(config, o)) {
            Capture c = a instanceof VocabularyMatchingAttack ? limit(capture, o.matchRequests()) : capture;
            scores.add(score(a, new TalariaTarget(c, config, weights), truth, bars));
        }
        if (o.oracle()) scores.add(score(evidenceGivenTruePrefix(truth, o.jointCandidates()), t, truth, bars));
        SettingResult s = new SettingResult("capture", "", 0, capture.setting(), Map.of(), scores);
        return new AuditResult(
                "talaria",
                capture.model().toString(),
                Instant.now().toString(),
                List.of("One capture attacked; no unprotected references were run."),
                List.of(s),
                Map.of(),
                "capture",
                Map.of());
    }

    static Capture limit(Capture c, int requests) {
        return new Capture(
                c.mode(),
                c.model(),
                c.publicModel(),
                c.setting(),
                c.requests().subList(0, Math.min(requests, c.requests().size())),
                c.setups());
    }

    static void save(Path dir, Capture c, Truth t) {
        try {
            CaptureFiles.write(dir, c, t);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String slug(String name) {
        return name.toLowerCase().replaceAll("[^a-z0-9.]+", "-").replaceAll("^-|-$", "");
    }
}
