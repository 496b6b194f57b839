package dev.veil.attack.aloepri;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.FfnActivations;
import dev.veil.aloepri.FfnNoiseProfile;
import dev.veil.aloepri.experiment.NextTokenScores;
import dev.veil.aloepri.experiment.ObfuscationCost;
import dev.veil.attack.Progress;
import dev.veil.attack.capture.Obfuscation;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.model.chart.SvgChart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * AloePri's privacy/accuracy frontier on one model: for the paper's defaults, each defense beyond the paper and
 * combinations, the strongest weight-only attack an attacker who knows the defense runs ({@link SelfAudit}: share of
 * held-out text tokens recovered) against what the setting costs (held-out perplexity increase, next-token agreement
 * with the plain model). Every setting is obfuscated in memory with the same seed, as {@code veil obfuscate} does (F32,
 * κ calibrated on 128 ids).
 */
public final class Frontier {

    /** A setting; {@code series} groups the points a plot line joins. */
    public record Setting(String name, String series, AloePriParams params) {}

    public record Point(
            String name,
            String series,
            AloePriParams params,
            int servedHidden,
            int servedFfn,
            double perplexity,
            double perplexityIncrease,
            double agreement,
            String strongestAttack,
            double strongest,
            double strongestVocab,
            List<SelfAudit.Row> attacks,
            double seconds) {

        /** The point in one phrase, for the log and the report: strongest attack, perplexity cost, agreement. */
        public String summary() {
            return String.format(
                    Locale.ROOT,
                    "strongest attack %.1f%% (%s), perplexity %+.1f%%, agreement %.1f%%",
                    100 * strongest,
                    strongestAttack,
                    100 * perplexityIncrease,
                    100 * agreement);
        }
    }

    public record Result(
            String date,
            String model,
            int auditTokens,
            int accuracyTokens,
            int context,
            String seed,
            double plainPerplexity,
            double readsNothing,
            List<Point> points) {}

    public static final double TARGET_RECOVERY = 0.05, TARGET_PERPLEXITY = 0.03, TARGET_AGREEMENT = 0.90;

    /** Public tokens the activation-aware noise is calibrated on (the first of the attacker's public text). */
    static final int CALIBRATION_TEXT = 4096;

    private Frontier() {}

    /**
     * The paper's two noises (α_e at the paper's α_h, α_h at the paper's α_e), each defense beyond the paper alone at the
     * paper's defaults, and noise on W_down (with α_h 0.5, or alone at 2) over α_e: combinations that close both channels.
     */
    public static List<Setting> standardSettings(int hidden) {
        AloePriParams d = AloePriParams.paper(hidden);
        List<Setting> s = new ArrayList<>();
        String paper = "paper: alpha_e (alpha_h 0.2)";
        s.add(new Setting("no noise", paper, d.withNoise(0, 0)));
        for (double e : new double[] {0, 0.1, 0.25, 0.5})
            s.add(new Setting("alpha_e " + e, paper, d.withNoise(e, d.alphaH())));
        s.add(new Setting("paper defaults", paper, d));
        s.add(new Setting("alpha_e 1.5", paper, d.withNoise(1.5, d.alphaH())));
        for (double a : new double[] {0.5, 2})
            s.add(new Setting("alpha_h " + a, "paper: alpha_h (alpha_e 1)", d.withNoise(d.alphaE(), a)));
        for (double a : new double[] {0.5, 1, 2})
            s.add(new Setting("paper + alpha_down " + a, "paper + noise on W_down", d.withFfn(a, 0, 1)));
        for (double a : new double[] {0.5, 1})
            s.add(new Setting("paper + alpha_gate_up " + a, "paper + noise on W_gate, W_up", d.withFfn(0, a, 1)));
        s.add(new Setting("paper + split 2", "paper + unit split (exact), h 128", d.withFfn(0, 0, 2)));
        s.add(new Setting("paper, h 128", "paper + unit split (exact), h 128", d.withExpansion(128)));
        for (double e : new double[] {0.25, 0.5, 1, 1.5})
            s.add(new Setting(
                    "alpha_e " + e + ", alpha_h 0.5, alpha_down 1",
                    "alpha_e with alpha_h 0.5, alpha_down 1",
                    d.withNoise(e, 0.5).withFfn(1, 0, 1)));
        for (double e : new double[] {0.5, 1.5})
            s.add(new Setting(
                    "alpha_e " + e + ", alpha_down 2",
                    "alpha_e with alpha_down 2 (alpha_h 0.2)",
                    d.withNoise(e, d.alphaH()).withFfn(2, 0, 1)));
        // depth: W_down noise alone, per layer and depth-scaled (α/√L per layer: the same summed variance at any depth)
        s.add(new Setting(
                "alpha_down 1 alone", "W_down noise alone", d.withNoise(0, 0).withFfn(1, 0, 1)));
        for (double a : new double[] {1, 2, 4})
            s.add(new Setting(
                    "alpha_down " + a + " alone, depth-scaled",
                    "W_down noise alone, depth-scaled",
                    d.withNoise(0, 0).withFfn(a, 0, 1).withDepthScaled(true)));
        for (double a : new double[] {2, 4})
            s.add(new Setting(
                    "paper + alpha_down " + a + ", depth-scaled",
                    "paper + depth-scaled noise on W_down",
                    d.withFfn(a, 0, 1).withDepthScaled(true)));
        // W_down noise shaped by the plain model's FFN activations on public text (FfnNoiseProfile.ACTIVATION)
        for (double a : new double[] {1, 2, 4, 8})
            s.add(new Setting(
                    "activation noise: paper + alpha_down " + num(a),
                    "paper + activation-aware noise on W_down",
                    d.withFfn(a, 0, 1).withFfnNoise(FfnNoiseProfile.ACTIVATION)));
        for (double e : new double[] {0.5, 1.5})
            s.add(new Setting(
                    "activation noise: alpha_e " + e + ", alpha_down 4",
                    "alpha_e with activation-aware alpha_down 4 (alpha_h 0.2)",
                    d.withNoise(e, d.alphaH()).withFfn(4, 0, 1).withFfnNoise(FfnNoiseProfile.ACTIVATION)));
        // mixture-of-experts routers (embed·router): noise on the router rows
        for (double a : new double[] {0.5, 1, 2})
            s.add(new Setting(
                    "router noise: paper + alpha_down 1, alpha_router " + num(a),
                    "Veil's defaults + router noise",
                    d.withFfn(1, 0, 1).withAlphaRouter(a)));
        return s;
    }

    /**
     * @param auditTokens    held-out text the attacks are scored on
     * @param accuracyTokens held-out text for perplexity and agreement (windows of {@code context})
     */
    public static Result run(
            String model,
            ModelConfig config,
            Weights plain,
            Set<Integer> fixed,
            List<Setting> settings,
            int[] auditTokens,
            int[] accuracyTokens,
            int context,
            int[] publicTokens,
            String seed,
            Consumer<String> log) {
        NextTokenScores base = NextTokenScores.of(ObfuscationCost.engine(config, plain), accuracyTokens, context);
        log.accept(String.format(
                Locale.ROOT, "plain: perplexity %.3f over %d positions", base.perplexity(), base.positions()));
        List<Point> points = new ArrayList<>();
        double readsNothing = Double.NaN;
        // the compiler's calibration text for the activation-aware noise: the same public text the attacker holds
        FfnActivations activations =
                settings.stream().anyMatch(s -> s.params().ffnNoise() == FfnNoiseProfile.ACTIVATION)
                        ? FfnActivations.measure(
                                config,
                                plain,
                                Arrays.copyOf(publicTokens, Math.min(publicTokens.length, CALIBRATION_TEXT)),
                                256)
                        : null;
        for (Setting s : settings) {
            long start = System.nanoTime();
            Obfuscation o = Obfuscation.of(config, plain, s.params(), fixed, seed, 128, activations);
            ObfuscationCost cost = ObfuscationCost.measure(
                    base, ObfuscationCost.engine(o.config(), o.weights()), o.tau(), accuracyTokens, context);
            SelfAudit.Report a = SelfAudit.run(
                    config,
                    plain,
                    o.config(),
                    o.weights(),
                    o.tau().forward(),
                    auditTokens,
                    publicTokens,
                    Progress.NONE);
            readsNothing = a.readsNothing();
            Point p = new Point(
                    s.name(),
                    s.series(),
                    s.params(),
                    o.config().hiddenSize(),
                    o.config().intermediateSize(),
                    cost.perplexity(),
                    cost.increase(),
                    cost.agreement(),
                    a.strongest().attack(),
                    a.strongest().text(),
                    a.strongest().vocab(),
                    a.rows(),
                    (System.nanoTime() - start) / 1e9);
            points.add(p);
            log.accept(String.format(Locale.ROOT, "%s: %s (%.0f s)", s.name(), p.summary(), p.seconds()));
        }
        return new Result(
                LocalDateTime.now().withNano(0).toString(),
                model,
                auditTokens.length,
                base.positions(),
                context,
                seed,
                base.perplexity(),
                readsNothing,
                points);
    }

    /** The point that meets the targets with the least leak, else the knee: least recovery at ≤ 3% perplexity increase. */
    public static Point best(Result r) {
        return r.points().stream()
                .filter(p -> p.perplexityIncrease() <= TARGET_PERPLEXITY && p.agreement() >= TARGET_AGREEMENT)
                .min(Comparator.comparingDouble(Point::strongest))
                .orElse(null);
    }

    /** Writes {@code aloepri-frontier.json}, {@code .md} and {@code .svg} into {@code dir}; returns their paths. */
    public static List<Path> write(Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve("aloepri-frontier.json"),
                md = dir.resolve("aloepri-frontier.md"),
                svg = dir.resolve("aloepri-frontier.svg");
        Files.writeString(
                json,
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        Files.writeString(md, markdown(r));
        Files.writeString(svg, svg(r));
        return List.of(json, md, svg);
    }

    /**
     * {@code earlier}'s points with {@code more}'s added (a setting in both takes {@code more}'s point, in its place), in the
     * order of {@link #standardSettings}'s names where known. Both runs must have measured the same way.
     */
    public static Result merge(Result earlier, Result more) {
        if (!earlier.model().equals(more.model())
                || !earlier.seed().equals(more.seed())
                || earlier.auditTokens() != more.auditTokens()
                || earlier.accuracyTokens() != more.accuracyTokens()
                || earlier.context() != more.context())
            throw new IllegalArgumentException("the runs differ in model, seed or token counts: " + earlier.model()
                    + "/" + earlier.seed() + " vs " + more.model() + "/" + more.seed());
        Map<String, Point> by = new LinkedHashMap<>();
        earlier.points().forEach(p -> by.put(p.name(), p));
        more.points().forEach(p -> by.put(p.name(), p));
        List<String> order =
                standardSettings(1024).stream().map(Setting::name).toList(); // the names do not depend on d
        List<Point> points = new ArrayList<>(by.values());
        points.sort(Comparator.comparingInt(p -> order.contains(p.name()) ? order.indexOf(p.name()) : order.size()));
        return new Result(
                more.date(),
                more.model(),
                more.auditTokens(),
                more.accuracyTokens(),
                more.context(),
                more.seed(),
                more.plainPerplexity(),
                more.readsNothing(),
                points);
    }

    /** A result {@link #write} wrote: to render its table and plot again without rerunning. */
    public static Result read(Path json) throws IOException {
        return new ObjectMapper().readValue(json.toFile(), Result.class);
    }

    static String markdown(Result r) {
        StringBuilder b = new StringBuilder();
        b.append("# AloePri: strongest attack vs accuracy cost (")
                .append(r.model())
                .append(")\n\n");
        b.append(String.format(
                Locale.ROOT,
                "%s; seed `%s`; attacks scored on %d held-out SOTU tokens; accuracy on %d positions "
                        + "(windows of %d); plain perplexity %.3f. A decoder that reads nothing recovers %.1f%% of the same text. "
                        + "Target: strongest ≤ %.0f%% at ≤ %.0f%% perplexity increase and ≥ %.0f%% next-token agreement.%n%n",
                r.date(),
                r.seed(),
                r.auditTokens(),
                r.accuracyTokens(),
                r.context(),
                r.plainPerplexity(),
                100 * r.readsNothing(),
                100 * TARGET_RECOVERY,
                100 * TARGET_PERPLEXITY,
                100 * TARGET_AGREEMENT));
        b.append(
                "α_down and α_gate_up are per layer, or, marked /√L, whole-model amounts each layer gets α/√L of; (act.) marks"
                        + " W_down noise shaped by the FFN activations (--ffn-noise-profile activation).\n\n");
        b.append(
                "| setting | α_e | α_h | α_down | α_gate_up | split | h | strongest attack | recovered (text / vocab) | perplexity | next-token agreement |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Point p : r.points()) {
            AloePriParams a = p.params();
            b.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s | %d | %d | %s | %.1f%% / %.1f%% | %+.1f%% | %.1f%% |%n",
                    p.name(),
                    num(a.alphaE()),
                    num(a.alphaH()),
                    num(a.alphaDown())
                            + (a.depthScaled() && a.alphaDown() > 0 ? "/√L" : "")
                            + (a.ffnNoise() == FfnNoiseProfile.ACTIVATION && a.alphaDown() > 0 ? " (act.)" : ""),
                    num(a.alphaGateUp()) + (a.depthScaled() && a.alphaGateUp() > 0 ? "/√L" : ""),
                    a.split(),
                    a.expansion(),
                    p.strongestAttack(),
                    100 * p.strongest(),
                    100 * p.strongestVocab(),
                    100 * p.perplexityIncrease(),
                    100 * p.agreement()));
        }
        Point best = best(r),
                least =
                        r.points().stream()
                                .min(Comparator.comparingDouble(Point::strongest))
                                .orElseThrow();
        b.append(String.format(
                Locale.ROOT,
                "%nLeast leak measured: **%s**, strongest attack %.1f%% at %+.1f%% perplexity, %.1f%% agreement.%n",
                least.name(),
                100 * least.strongest(),
                100 * least.perplexityIncrease(),
                100 * least.agreement()));
        b.append(
                        best == null
                                ? "No setting costs ≤ 3% perplexity at ≥ 90% agreement."
                                : "Least leak within the accuracy target: **" + best.name() + "**, " + best.summary()
                                        + (best.strongest() <= TARGET_RECOVERY
                                                ? " — target met."
                                                : " — the recovery target is missed."))
                .append('\n');
        // every attack any point was scored with (points appended later may carry attacks earlier ones lack: "—")
        List<String> columns = r.points().stream()
                .flatMap(p -> p.attacks().stream().map(SelfAudit.Row::attack))
                .filter(a -> !a.equals(SelfAudit.NOT_MERGED))
                .distinct()
                .sorted(Comparator.comparing(a -> a.equals(SelfAudit.ENSEMBLE))) // the fusion of the others last
                .toList();
        b.append(
                        "\nEvery attack per setting (text tokens recovered, top-1; — where the point was measured before the attack"
                                + " existed):\n\n| setting | ")
                .append(String.join(" | ", columns))
                .append(" |\n|---|");
        b.append("---|".repeat(columns.size())).append('\n');
        for (Point p : r.points()) {
            Map<String, Double> by = new LinkedHashMap<>();
            p.attacks().forEach(a -> by.put(a.attack(), a.text()));
            b.append("| ").append(p.name());
            for (String a : columns)
                b.append(by.containsKey(a) ? String.format(Locale.ROOT, " | %.1f%%", 100 * by.get(a)) : " | —");
            String extra = by.containsKey(SelfAudit.NOT_MERGED)
                    ? String.format(
                            Locale.ROOT, " (split units not merged: %.1f%%)", 100 * by.get(SelfAudit.NOT_MERGED))
                    : "";
            b.append(extra).append(" |\n");
        }
        return b.toString();
    }

    static String svg(Result r) {
        Map<String, List<Point>> series = new LinkedHashMap<>();
        for (Point p : r.points())
            series.computeIfAbsent(p.series(), k -> new ArrayList<>()).add(p);
        List<SvgChart.Series> ppl = new ArrayList<>(), agree = new ArrayList<>();
        series.forEach((name, ps) -> {
            List<Point> byPpl = ps.stream()
                    .sorted(Comparator.comparingDouble(Point::perplexityIncrease))
                    .toList();
            ppl.add(new SvgChart.Series(
                    name,
                    byPpl.stream()
                            .mapToDouble(p -> 100 * p.perplexityIncrease())
                            .toArray(),
                    byPpl.stream().mapToDouble(p -> 100 * p.strongest()).toArray()));
            List<Point> byAgree = ps.stream()
                    .sorted(Comparator.comparingDouble(Point::agreement))
                    .toList();
            agree.add(new SvgChart.Series(
                    name,
                    byAgree.stream().mapToDouble(p -> 100 * p.agreement()).toArray(),
                    byAgree.stream().mapToDouble(p -> 100 * p.strongest()).toArray()));
        });
        return SvgChart.figure(
                "AloePri on " + r.model() + ": strongest attack vs accuracy cost",
                List.of(
                        new SvgChart.Panel(
                                "recovery vs perplexity increase",
                                "held-out perplexity increase (%, log scale)",
                                "strongest attack: text tokens (%)",
                                ppl.stream().allMatch(x -> Arrays.stream(x.x()).allMatch(v -> v > 0)),
                                ppl,
                                100 * TARGET_RECOVERY,
                                "target 5%"),
                        new SvgChart.Panel(
                                "recovery vs next-token agreement",
                                "next-token agreement with the plain model (%)",
                                "strongest attack: text tokens (%)",
                                false,
                                agree,
                                100 * r.readsNothing(),
                                "reads nothing")));
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
