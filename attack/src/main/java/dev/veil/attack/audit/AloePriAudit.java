package dev.veil.attack.audit;

import dev.veil.aloepri.AloePriParams;
import dev.veil.attack.TokenStream;
import dev.veil.attack.UnigramBaseline;
import dev.veil.attack.aloepri.AloePriAttack;
import dev.veil.attack.aloepri.AloePriTarget;
import dev.veil.attack.aloepri.AttentionInvariantAttack;
import dev.veil.attack.aloepri.EmbeddingMatchingAttack;
import dev.veil.attack.aloepri.FrequencyMatchingAttack;
import dev.veil.attack.aloepri.GateInvariantAttack;
import dev.veil.attack.aloepri.InternalStateAttack;
import dev.veil.attack.aloepri.InversionModelAttack;
import dev.veil.attack.aloepri.WeightProductMatchingAttack;
import dev.veil.attack.capture.AloePriRun;
import dev.veil.attack.capture.Capture;
import dev.veil.attack.capture.CaptureFiles;
import dev.veil.attack.capture.Obfuscation;
import dev.veil.attack.capture.Request;
import dev.veil.attack.capture.Rows;
import dev.veil.attack.capture.Truth;
import dev.veil.attack.metrics.Recovery;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The AloePri audit: obfuscates the public model under a range of parameters (α_e, α_h, λ around the paper's defaults,
 * plus the plain model and a noise-free obfuscation), serves each with an instrumented server, runs every attack on
 * what the server saw and scores it against the plaintext, and measures what each setting costs in next-token
 * agreement with the plain model and perplexity on held-out text.
 */
public final class AloePriAudit {

    public static final String PLAIN = "plain deployment (no obfuscation)",
            NO_NOISE = "no noise (alpha_e = alpha_h = 0)",
            DEFAULTS = "paper defaults",
            VICTIM_SEED = "audit-victim-key";

    /** A deployment setting; {@code params} null for the plain model. */
    public record Setting(String name, String axis, double x, AloePriParams params) {}

    /**
     * @param publicTokens   the attacker's public text, tokenized (IMA training, TFMA prior)
     * @param heldout        held-out text for the accuracy cost (at most the model's context)
     * @param attackerSeeds  the attacker's own keys for IMA
     * @param isaRequests    requests the (slow) ISA attacks invert, each over its first {@code isaPositions} prompt tokens
     * @param isaBudget      hidden-state ISA: candidates its discrete stage tries per position at most
     * @param isaSettings    settings the ISA attacks run on (by name)
     */
    public record Options(
            List<int[]> prompts,
            int maxTokens,
            int[] publicTokens,
            int[] heldout,
            List<String> attackerSeeds,
            int isaRequests,
            int isaPositions,
            int isaSteps,
            int isaBudget,
            List<String> isaSettings,
            Path saveCaptures) {}

    private AloePriAudit() {}

    /** The plain model, the defaults, a noise-free obfuscation, and sweeps of α_e, α_h and λ around the defaults. */
    public static List<Setting> standardSettings(int hidden) {
        AloePriParams d = AloePriParams.paper(hidden);
        List<Setting> s = new ArrayList<>();
        s.add(new Setting(PLAIN, "", 0, null));
        s.add(new Setting(DEFAULTS, "", 0, d));
        s.add(new Setting(NO_NOISE, "", 0, d.withNoise(0, 0)));
        for (double a : new double[] {0, 0.25, 0.5, 1.0, 1.5})
            s.add(new Setting(a == d.alphaE() ? DEFAULTS : "alpha_e " + a, "alpha_e", a, d.withNoise(a, d.alphaH())));
        for (double a : new double[] {0, 0.05, 0.1, 0.2, 0.5})
            s.add(new Setting(a == d.alphaH() ? DEFAULTS : "alpha_h " + a, "alpha_h", a, d.withNoise(d.alphaE(), a)));
        for (double l : new double[] {0.1, 0.3, 1.0})
            s.add(new Setting(l == d.lambda() ? DEFAULTS : "lambda " + l, "lambda", l, d.withLambda(l)));
        return s;
    }

    static final String IMA_OWN = "IMA: inverter trained under the attacker's own keys",
            IMA_VICTIM = "IMA: inverter trained under the victim's key",
            TFMA_PUBLIC = "TFMA: prior from public text",
            TFMA_ORACLE = "TFMA: oracle prior (the users' own text)";

    public static AuditResult run(
            ModelConfig config, Weights plain, Path model, List<Setting> settings, Options o, Bars bars) {
        Set<Integer> fixed = new TreeSet<>(config.eosTokenIds());
        if (config.bosTokenId() >= 0) fixed.add(config.bosTokenId());
        Accuracy accuracy = new Accuracy(config, plain, o.heldout());
        Map<String, SettingResult> done = new LinkedHashMap<>();
        for (Setting s : settings) {
            if (done.containsKey(s.name())) { // the defaults sit on every axis: run once, plot everywhere
                SettingResult r = done.get(s.name());
                done.put(
                        s.name() + "@" + s.axis(),
                        new SettingResult(r.name(), s.axis(), s.x(), r.setting(), r.accuracy(), r.attacks()));
                continue;
            }
            Obfuscation served = s.params() == null
                    ? Obfuscation.none(config, plain)
                    : bars.run(
                            "obfuscate: " + s.name(),
                            1,
                            p -> Obfuscation.of(config, plain, s.params(), fixed, VICTIM_SEED, 128, null));
            AloePriRun.Result run = bars.run(
                    "serve: " + s.name(),
                    o.prompts().size(),
                    p -> AloePriRun.run(
                            served,
                            model,
                            model,
                            o.prompts(),
                            o.maxTokens(),
                            k -> k.equals("in/layer." + Math.min(1, config.numLayers() - 1) + ".qkv")
                                    || k.equals("out/layer.0.qkv"),
                            p::step));
            if (o.saveCaptures() != null)
                save(o.saveCaptures().resolve(TalariaAudit.slug(s.name())), run.capture(), run.truth());
            AloePriTarget target = new AloePriTarget(run.capture(), served.config(), served.weights(), config, plain);
            List<AttackResult> scores = new ArrayList<>();
            for (AloePriAttack a : attacks(o, run.truth(), config.vocabSize()))
                scores.add(score(a, a.name(), target, run.truth(), bars));
            frequencyAttacks(o, run.truth(), config.vocabSize())
                    .forEach((name, a) -> scores.add(score(a, name, target, run.truth(), bars)));
            if (s.name().equals(DEFAULTS) || s.name().equals(NO_NOISE)) {
                scores.add(score(
                        new InversionModelAttack(o.publicTokens(), List.of(VICTIM_SEED), 10),
                        IMA_VICTIM,
                        target,
                        run.truth(),
                        bars));
                for (String family : WeightProductMatchingAttack.families(config)) { // which products carry VMA
                    WeightProductMatchingAttack a = new WeightProductMatchingAttack(10, family);
                    scores.add(score(a, a.name(), target, run.truth(), bars));
                }
            }
            if (o.isaSettings().contains(s.name()) && InternalStateAttack.runs(config)) {
                Limited lim = limit(run.capture(), run.truth(), o.isaRequests(), o.isaPositions());
                AloePriTarget isaTarget =
                        new AloePriTarget(lim.capture(), served.config(), served.weights(), config, plain);
                for (InternalStateAttack.Kind kind : InternalStateAttack.Kind.values()) {
                    int steps = kind == InternalStateAttack.Kind.HIDDEN ? o.isaSteps() : Math.max(1, o.isaSteps() / 3);
                    InternalStateAttack a =
                            new InternalStateAttack(kind, steps, 0.3, o.isaRequests(), o.isaBudget(), 10);
                    scores.add(score(a, a.name(), isaTarget, lim.truth(), bars));
                }
            }
            Map<String, Double> acc = bars.run("accuracy: " + s.name(), 1, p -> accuracy.of(served));
            done.put(s.name(), new SettingResult(s.name(), s.axis(), s.x(), served.setting(), acc, scores));
        }
        return new AuditResult(
                "aloepri",
                model.toString(),
                Instant.now().toString(),
                notes(o),
                new ArrayList<>(done.values()),
                references(),
                DEFAULTS,
                targets());
    }

    /** Attacks one saved capture of an AloePri server (the {@code veil audit --capture} path): every attack, one setting. */
    public static AuditResult attackCapture(
            Capture capture,
            Truth truth,
            ModelConfig obfConfig,
            Weights obf,
            ModelConfig plainConfig,
            Weights plain,
            Options o,
            Bars bars) {
        AloePriTarget target = new AloePriTarget(capture, obfConfig, obf, plainConfig, plain);
        List<AttackResult> scores = new ArrayList<>();
        for (AloePriAttack a : attacks(o, truth, plainConfig.vocabSize()))
            scores.add(score(a, a.name(), target, truth, bars));
        frequencyAttacks(o, truth, plainConfig.vocabSize())
                .forEach((name, a) -> scores.add(score(a, name, target, truth, bars)));
        Limited lim = limit(capture, truth, o.isaRequests(), o.isaPositions());
        AloePriTarget isaTarget = new AloePriTarget(lim.capture(), obfConfig, obf, plainConfig, plain);
        boolean states = capture.requests().stream()
                .allMatch(r -> r.has("out/layer.0.qkv")
                        && r.has("in/layer." + Math.min(1, plainConfig.numLayers() - 1) + ".qkv"));
        if (states && InternalStateAttack.runs(plainConfig))
            for (InternalStateAttack.Kind kind : InternalStateAttack.Kind.values()) {
                InternalStateAttack a = new InternalStateAttack(
                        kind,
                        kind == InternalStateAttack.Kind.HIDDEN ? o.isaSteps() : Math.max(1, o.isaSteps() / 3),
                        0.3,
                        o.isaRequests(),
                        o.isaBudget(),
                        10);
                scores.add(score(a, a.name(), isaTarget, lim.truth(), bars));
            }
        SettingResult s = new SettingResult("capture", "", 0, capture.setting(), Map.of(), scores);
        return new AuditResult(
                "aloepri",
                capture.model().toString(),
                Instant.now().toString(),
                List.of("One capture attacked; no unprotected references were run."
                        + (states ? "" : " It holds no internal states: ISA skipped.")),
                List.of(s),
                Map.of(),
                "capture",
                Map.of());
    }

    static List<AloePriAttack> attacks(Options o, Truth truth, int vocab) {
        int k = 10;
        List<AloePriAttack> a = new ArrayList<>();
        a.add(new UnigramBaseline(o.publicTokens(), vocab, TokenStream.ALL, k));
        a.add(new WeightProductMatchingAttack(k));
        a.add(new GateInvariantAttack(k));
        a.add(new AttentionInvariantAttack(k));
        a.add(new EmbeddingMatchingAttack(k));
        a.add(new InversionModelAttack(o.publicTokens(), o.attackerSeeds(), k));
        return a;
    }

    /** TFMA's two flavours: the attacker's public prior, and an oracle that knows the users' own token counts. */
    static Map<String, AloePriAttack> frequencyAttacks(Options o, Truth truth, int vocab) {
        int[] all = truth.requests().stream()
                .flatMapToInt(r -> Arrays.stream(r.all()))
                .toArray();
        Map<String, AloePriAttack> m = new LinkedHashMap<>();
        m.put(TFMA_PUBLIC, new FrequencyMatchingAttack(FrequencyMatchingAttack.counts(o.publicTokens(), vocab), 10));
        m.put(TFMA_ORACLE, new FrequencyMatchingAttack(FrequencyMatchingAttack.counts(all, vocab), 10));
        return m;
    }

    /** Scores one attack under {@code name}. */
    static AttackResult score(AloePriAttack a, String name, AloePriTarget t, Truth truth, Bars bars) {
        long t0 = System.nanoTime();
        AloePriAttack.Outcome out = bars.run(name, -1, p -> a.attack(t, p));
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < out.guesses().size(); i++)
            expected.add(
                    a.stream().truth(truth.requests().get(t.requests().get(i).index())));
        Recovery r = Recovery.score(out.guesses(), expected, 10, t.vocab());
        double vocab = out.mapping() == null ? Double.NaN : out.mapping().vocabularyTop1(truth.tau());
        return AttackResult.of(name, a.stream().name().toLowerCase(), r, vocab, (System.nanoTime() - t0) / 1e9);
    }

    static Map<String, AuditResult.Reference> references() {
        Map<String, AuditResult.Reference> m = new LinkedHashMap<>();
        // each attack against its own result on the reference setting
        for (AloePriAttack a : List.of(
                new WeightProductMatchingAttack(1), new GateInvariantAttack(1), new AttentionInvariantAttack(1)))
            m.put(a.name(), new AuditResult.Reference(NO_NOISE, a.name()));
        String nn = new EmbeddingMatchingAttack(1).name();
        m.put(nn, new AuditResult.Reference(PLAIN, nn));
        m.put(IMA_OWN, new AuditResult.Reference(DEFAULTS, IMA_VICTIM));
        for (InternalStateAttack.Kind kind : InternalStateAttack.Kind.values()) {
            String n = new InternalStateAttack(kind, 1, 1, 1, 1, 1).name();
            m.put(n, new AuditResult.Reference(PLAIN, n));
        }
        m.put(TFMA_PUBLIC, new AuditResult.Reference(DEFAULTS, TFMA_ORACLE));
        return m;
    }

    /** The issue's targets for the defaults on the trained model: VMA ≤ 5%, invariant attacks ≤ 6%, NN/IMA/ISA ≈ 0% (≤ 1%). */
    static Map<String, Double> targets() {
        Map<String, Double> t = new LinkedHashMap<>();
        t.put(new WeightProductMatchingAttack(1).name(), 0.05);
        t.put(new GateInvariantAttack(1).name(), 0.06);
        t.put(new AttentionInvariantAttack(1).name(), 0.06);
        t.put(new EmbeddingMatchingAttack(1).name(), 0.01);
        t.put(IMA_OWN, 0.01);
        for (InternalStateAttack.Kind kind : InternalStateAttack.Kind.values())
            t.put(new InternalStateAttack(kind, 1, 1, 1, 1, 1).name(), 0.01);
        return t;
    }

    static List<String> notes(Options o) {
        return List.of(
                "Each setting is obfuscated in memory by Veil's compiler (F32, κ calibrated on 128 tokens, as veil obfuscate does) and served by Veil's unchanged engine with a recording backend: the capture holds the obfuscated id streams and the server's internal states.",
                "Recovery is exact top-1 over the tokens the server handled (prompt and output; ISA: the first "
                        + o.isaPositions() + " prompt tokens of " + o.isaRequests()
                        + " request(s)), i.e. the paper's TTRSR; top-10 and corpus BLEU-4 beside it; 'vocab' is the share of the whole vocabulary a mapping attack maps back right.",
                "Accuracy cost on held-out text (teacher forcing): next-token agreement = how often the served model's top next token is the plain model's; perplexity ratio = served / plain.",
                "The baseline guesses the most frequent public tokens without reading anything: an attack leaks only what it recovers beyond it.");
    }

    /** The first {@code positions} prompt tokens of the first {@code requests} requests: ISA's workload. */
    record Limited(Capture capture, Truth truth) {}

    static Limited limit(Capture c, Truth t, int requests, int positions) {
        List<Request> rs = new ArrayList<>();
        List<Truth.RequestTruth> ts = new ArrayList<>();
        for (int i = 0; i < Math.min(requests, c.requests().size()); i++) {
            Request r = c.requests().get(i);
            int n = Math.min(positions, t.requests().get(r.index()).prompt().length);
            Map<String, Rows> tensors = new LinkedHashMap<>();
            r.tensors().forEach((k, rows) -> tensors.put(k, rows.slice(0, Math.min(n, rows.rows()))));
            rs.add(new Request(i, r.calls(), tensors, r.idsIn(), r.idsOut()));
            ts.add(new Truth.RequestTruth(
                    Arrays.copyOf(t.requests().get(r.index()).prompt(), n), new int[0]));
        }
        return new Limited(
                new Capture(c.mode(), c.model(), c.publicModel(), c.setting(), rs, c.setups()), new Truth(ts, t.tau()));
    }

    static void save(Path dir, Capture c, Truth t) {
        try {
            CaptureFiles.write(dir, c, t);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
