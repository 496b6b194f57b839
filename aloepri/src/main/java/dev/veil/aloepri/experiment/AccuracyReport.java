package dev.veil.aloepri.experiment;

import static dev.veil.model.chart.MarkdownTable.f;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veil.aloepri.experiment.AccuracyExperiment.Axis;
import dev.veil.aloepri.experiment.AccuracyExperiment.Baseline;
import dev.veil.aloepri.experiment.AccuracyExperiment.Report;
import dev.veil.aloepri.experiment.AccuracyExperiment.Result;
import dev.veil.model.chart.MarkdownTable;
import dev.veil.model.chart.SvgChart;
import dev.veil.model.chart.SvgChart.Panel;
import dev.veil.model.chart.SvgChart.Series;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes an accuracy report: {@code aloepri-accuracy.json} (everything measured), one SVG per figure of the paper
 * ({@code aloepri-noise.svg} ≈ Fig. 3, {@code aloepri-lambda.svg} ≈ Fig. 4, {@code aloepri-h.svg} ≈ Fig. 5) and
 * {@code aloepri-accuracy.md}, a summary with the tables and the target check.
 */
public final class AccuracyReport {

    /** The target: the defaults cost at most this much held-out perplexity. */
    public static final double PERPLEXITY_TARGET = 0.03;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AccuracyReport() {}

    /** Writes the files into {@code dir} (created if needed); returns the markdown summary's path. */
    public static Path write(Report r, Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("aloepri-accuracy.json").toFile(), r);
        Files.writeString(
                dir.resolve("aloepri-noise.svg"),
                SvgChart.figure(
                        "AloePri noise on " + r.model() + " (cf. paper Fig. 3)",
                        panels(r, List.of(Axis.ALPHA_E, Axis.ALPHA_H), List.of("F32"))));
        Files.writeString(
                dir.resolve("aloepri-lambda.svg"),
                SvgChart.figure(
                        "AloePri λ on " + r.model() + " (cf. paper Fig. 4)",
                        panels(r, List.of(Axis.LAMBDA), List.of("F32", "BF16"))));
        Files.writeString(
                dir.resolve("aloepri-h.svg"),
                SvgChart.figure(
                        "AloePri expansion h on " + r.model() + " (cf. paper Fig. 5)",
                        panels(r, List.of(Axis.H), List.of("F32"))));
        Path md = dir.resolve("aloepri-accuracy.md");
        Files.writeString(md, markdown(r));
        return md;
    }

    /** Per axis two panels: perplexity increase and agreement with the plain model, one series per dtype (and noise). */
    private static List<Panel> panels(Report r, List<Axis> axes, List<String> dtypes) {
        List<Panel> panels = new ArrayList<>();
        for (Axis axis : axes) {
            List<Series> ppl = new ArrayList<>(), agree = new ArrayList<>();
            for (boolean noise : new boolean[] {true, false}) {
                String key = AccuracyExperiment.Point.key(axis, noise);
                if (r.results().stream().noneMatch(res -> res.axis().equals(key))) continue;
                for (String dtype : dtypes) {
                    double[] x = axis.points();
                    double[] dp = new double[x.length], ag = new double[x.length];
                    for (int i = 0; i < x.length; i++) {
                        Result res = r.find(key, x[i], dtype);
                        dp[i] = 100 * res.perplexityIncrease();
                        ag[i] = 100 * res.agreement();
                    }
                    String name = dtype + (noise ? "" : ", no noise");
                    ppl.add(new Series(name, x, dp));
                    agree.add(new Series(name, x, ag));
                }
            }
            panels.add(new Panel(
                    "held-out perplexity vs plain",
                    axis.label,
                    "perplexity increase (%)",
                    axis.logScale,
                    ppl,
                    100 * PERPLEXITY_TARGET,
                    "3% target"));
            panels.add(new Panel(
                    "next-token agreement with plain", axis.label, "agreement (%)", axis.logScale, agree, null, null));
        }
        return panels;
    }

    static String markdown(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append("# AloePri accuracy on ").append(r.model()).append("\n\n");
        sb.append(String.format(
                Locale.ROOT,
                "- model: %s, d = %d, %d layers, vocabulary %d, %.2fM parameters; fingerprint %s%n",
                r.architecture(),
                r.hiddenSize(),
                r.layers(),
                r.vocabSize(),
                r.parameters() / 1e6,
                r.fingerprint()));
        sb.append(String.format(
                Locale.ROOT,
                "- held-out text: %d scored tokens, windows of %d tokens; κ calibrated on %d random ids; seed \"%s\"%n",
                r.tokens(),
                r.context(),
                r.calibrationTokens(),
                r.seed()));
        var d = r.defaults();
        sb.append(String.format(
                Locale.ROOT,
                "- defaults: λ = %s, h = %d (hidden %d → %d), α_e = %s, α_h = %s, β = %d, γ = %s%n",
                d.lambda(),
                d.expansion(),
                r.hiddenSize(),
                r.hiddenSize() + 2 * d.expansion(),
                d.alphaE(),
                d.alphaH(),
                d.beta(),
                d.gamma()));
        sb.append("- one parameter moves at a time; all others stay at the defaults; every point uses the same seed\n");
        sb.append(
                "- agreement: the obfuscated model's argmax, mapped back through τ⁻¹, equals the plain F32 model's argmax\n");
        sb.append(
                "- perplexity increase: over the plain model stored at the same dtype (BF16 points over plain BF16)\n");
        sb.append("- run: ").append(r.date()).append("\n\n");
        sb.append(new MarkdownTable<Baseline>()
                .left("plain model", Baseline::dtype)
                .right("perplexity", b -> f("%.3f", b.perplexity()))
                .right("next-token accuracy", b -> f("%.2f%%", 100 * b.accuracy()))
                .render(r.plain()));

        Result def = r.find("defaults", 0, "F32");
        boolean met = def.perplexityIncrease() <= PERPLEXITY_TARGET;
        sb.append(String.format(
                Locale.ROOT,
                "%n**Target (defaults cost ≤ 3%% held-out perplexity): %s** — defaults at F32: %+.2f%% "
                        + "perplexity, %.2f%% agreement; at BF16: %+.2f%% (vs plain BF16). Without noise and block permutation "
                        + "(κ/RMSNorm error alone): %+.2f%%, %.2f%% agreement.%n",
                met ? "met" : "NOT met",
                100 * def.perplexityIncrease(),
                100 * def.agreement(),
                100 * r.find("defaults", 0, "BF16").perplexityIncrease(),
                100 * r.find("exact", 0, "F32").perplexityIncrease(),
                100 * r.find("exact", 0, "F32").agreement()));

        for (boolean noise : new boolean[] {true, false})
            for (Axis axis : Axis.values()) {
                String key = AccuracyExperiment.Point.key(axis, noise);
                List<Result> rows = r.results().stream()
                        .filter(res -> res.axis().equals(key))
                        .toList();
                if (rows.isEmpty()) continue;
                sb.append("\n## ")
                        .append(axis.label)
                        .append(noise ? "" : ", embedding and head noise off")
                        .append("\n\n");
                sb.append(new MarkdownTable<Result>()
                        .right(axis.key, res -> number(res.value()))
                        .left("dtype", Result::dtype)
                        .right("perplexity", res -> f("%.3f", res.perplexity()))
                        .right("increase", res -> f("%+.2f%%", 100 * res.perplexityIncrease()))
                        .right("agreement", res -> f("%.2f%%", 100 * res.agreement()))
                        .right("next-token accuracy", res -> f("%.2f%%", 100 * res.accuracy()))
                        .render(rows));
            }
        sb.append(
                "\nPlots: `aloepri-noise.svg` (α_e, α_h), `aloepri-lambda.svg` (λ at F32 and BF16), `aloepri-h.svg` (h); "
                        + "all numbers in `aloepri-accuracy.json`.\n");
        return sb.toString();
    }

    private static String number(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
