package dev.veil.bench.aloepri;

import dev.veil.bench.BenchTable;
import java.util.Locale;

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

        sb.append("| measure | value | target | met |\n|---|---:|---:|---|\n");
        sb.append(String.format(
                Locale.ROOT,
                "| obfuscation, wall | %.2f min per billion parameters (%.3f s per million) | ≤ %.1f | %s |%n",
                r.minutesPerBillion(),
                r.secondsPerMillionParameters(),
                AloePriBench.MINUTES_PER_BILLION_TARGET,
                r.obfuscationTargetMet() ? "yes" : "no"));
        sb.append(String.format(
                Locale.ROOT,
                "| obfuscation, process CPU / %d threads | %.2f min per billion parameters | | |%n",
                r.threads(),
                r.cpuMinutesPerBillion()));
        sb.append(String.format(
                Locale.ROOT,
                "| decode time, obfuscated / plain | %.3f (%.2f vs %.2f tokens/s) | ≤ %.3f = (d+2h)/d × %.2f | %s |%n",
                r.decodeTimeRatio(),
                r.obfuscatedDecodeTokensPerSecond(),
                r.plainDecodeTokensPerSecond(),
                r.decodeTimeTarget(),
                AloePriBench.DECODE_SLACK,
                r.decodeTargetMet() ? "yes" : "no"));
        sb.append(String.format(
                Locale.ROOT,
                "%nKey base alone (Algorithm 1 INIT: Haar U and Z, B⁻¹, key bases; grows with d³, not with "
                        + "the parameter count): %.2f s.%n",
                r.keyBaseSeconds()));
        sb.append("\n| obfuscation run | wall s | process CPU s |\n|---:|---:|---:|\n");
        for (int i = 0; i < r.obfuscations().size(); i++)
            sb.append(String.format(
                    Locale.ROOT,
                    "| %d | %.1f | %.1f |%n",
                    i + 1,
                    r.obfuscations().get(i).wallSeconds(),
                    r.obfuscations().get(i).cpuSeconds()));
        return sb.toString();
    }
}
