package dev.veil.bench.aloepri;

import static dev.veil.model.chart.MarkdownTable.f;

import dev.veil.bench.BenchTable;
import dev.veil.model.chart.MarkdownTable;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/** The readable form of an AloePri benchmark report. */
final class AloePriBenchTable {

    private AloePriBenchTable() {}

    static String markdown(AloePriBench.Report r) {
        StringBuilder sb = BenchTable.opening("AloePri benchmark " + r.date(), r.commandLine());
        sb.append(r.machine().markdown("; engine threads: " + r.threads(), false));
        sb.append(String.format(
                Locale.ROOT,
                "- model: %s (%s, %s, %.1fM parameters), d = %d, h = %d: obfuscated hidden %d%n",
                r.model(),
                r.architecture(),
                r.dtype(),
                r.parameters() / 1e6,
                r.hiddenSize(),
                r.expansion(),
                r.hiddenSize() + 2 * r.expansion()));
        sb.append(
                        "- obfuscation: `veil obfuscate` with the defaults (κ calibrated on 128 ids, fingerprints, safetensors written), best of ")
                .append(r.obfuscations().size())
                .append("\n");
        sb.append(String.format(
                Locale.ROOT,
                "- decode: %d-token prompt, then %d greedy tokens; plain and obfuscated runs alternate; best of %d%n%n",
                r.promptTokens(),
                r.decodeTokens(),
                r.repeats()));

        List<Measure> measures = List.of(
                new Measure(
                        "obfuscation, wall",
                        f(
                                "%.2f min per billion parameters (%.3f s per million)",
                                r.minutesPerBillion(), r.secondsPerMillionParameters()),
                        f("≤ %.1f", AloePriBench.MINUTES_PER_BILLION_TARGET),
                        r.obfuscationTargetMet() ? "yes" : "no"),
                new Measure(
                        f("obfuscation, process CPU / %d threads", r.threads()),
                        f("%.2f min per billion parameters", r.cpuMinutesPerBillion()),
                        "",
                        ""),
                new Measure(
                        "decode time, obfuscated / plain",
                        f(
                                "%.3f (%.2f vs %.2f tokens/s)",
                                r.decodeTimeRatio(),
                                r.obfuscatedDecodeTokensPerSecond(),
                                r.plainDecodeTokensPerSecond()),
                        f("≤ %.3f = (d+2h)/d × %.2f", r.decodeTimeTarget(), AloePriBench.DECODE_SLACK),
                        r.decodeTargetMet() ? "yes" : "no"));
        sb.append(new MarkdownTable<Measure>()
                .left("measure", Measure::name)
                .right("value", Measure::value)
                .right("target", Measure::target)
                .left("met", Measure::met)
                .render(measures));
        sb.append(String.format(
                Locale.ROOT,
                "%nKey base alone (Algorithm 1 INIT: Haar U and Z, B⁻¹, key bases; grows with d³, not with "
                        + "the parameter count): %.2f s.%n",
                r.keyBaseSeconds()));
        List<AloePriBench.Timing> runs = r.obfuscations();
        sb.append("\n")
                .append(new MarkdownTable<Integer>()
                        .right("obfuscation run", i -> String.valueOf(i + 1))
                        .right("wall s", i -> f("%.1f", runs.get(i).wallSeconds()))
                        .right("process CPU s", i -> f("%.1f", runs.get(i).cpuSeconds()))
                        .render(IntStream.range(0, runs.size()).boxed().toList()));
        return sb.toString();
    }

    /** A row of the targets table; a measure without a target leaves the last two cells empty. */
    private record Measure(String name, String value, String target, String met) {}
}
