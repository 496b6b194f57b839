package dev.veil.bench;

import java.util.Locale;
import java.util.stream.Collectors;

/** The readable form of an engine benchmark report: what ran where, then one table per model with ratios. */
public final class BenchTable {
    private BenchTable() {}

    /** A bench report's markdown opening, the same in every report: its title, then the command that wrote it. */
    public static StringBuilder opening(String title, String commandLine) {
        return new StringBuilder("# " + title + "\n\n- command: `" + commandLine + "`\n");
    }

    public static String markdown(EngineBench.Report r) {
        StringBuilder sb = opening("Engine benchmark " + r.date(), r.commandLine());
        sb.append(r.machine()
                .markdown(
                        "; threads: "
                                + r.threads().stream().map(String::valueOf).collect(Collectors.joining(", ")),
                        true));
        if (r.llamaCpp() != null)
            sb.append("- llama.cpp: ")
                    .append(r.llamaCpp().repo())
                    .append(' ')
                    .append(r.llamaCpp().release())
                    .append(" (node-llama-cpp 3.22.1 prebuilt CPU binary; ")
                    .append(r.llamaCpp().systemInfo().strip())
                    .append(")\n");
        sb.append("- Jlama: ").append(r.jlama()).append('\n');
        sb.append("- Vector API bounds checks (Veil and Jlama): ")
                .append(
                        r.vectorBoundsChecks()
                                ? "on (the JDK default; -D" + EngineBench.VECTOR_OOB_CHECK + "=0 turns them off)"
                                : "off (-D" + EngineBench.VECTOR_OOB_CHECK + "=0)")
                .append('\n');
        sb.append(String.format(
                Locale.ROOT,
                "- streaming read bandwidth: %.1f GB/s (%d threads, best of before and after the engines in this run)%n",
                r.bandwidthBytesPerSecond() / 1e9,
                r.settings().maxThreads()));
        sb.append(String.format(
                Locale.ROOT,
                "- prefill: prompt of the context length; decode: %d tokens after it; best of %d, Veil and llama.cpp "
                        + "taking turns (one repetition each per round, llama.cpp after one untimed run in its process)%n",
                r.settings().decodeTokens(),
                r.settings().repeats()));
        sb.append(
                "- CPU share: CPU time each engine's process got per thread and wall second while timed (mean over the repetitions); well below 1 "
                        + "means other load held the cores, and the rates (and ratios between engines timed at different moments) are unreliable\n");
        for (EngineBench.ModelResult m : r.models()) {
            sb.append("\n## ")
                    .append(m.name())
                    .append(", ")
                    .append(m.threads())
                    .append(m.threads() == 1 ? " thread (" : " threads (")
                    .append(m.dtype())
                    .append(", ")
                    .append(String.format(
                            Locale.ROOT,
                            "%.1fM parameters, %.1f MB read per decode token, bound %.1f tok/s",
                            m.parameters() / 1e6,
                            m.weightBytesPerToken() / 1e6,
                            m.bandwidthBoundTokensPerSecond()))
                    .append(")\n\n");
            sb.append(
                    "| engine | context | prefill tok/s | decode tok/s | prefill × llama.cpp | decode × llama.cpp | decode / bound | CPU share |\n");
            sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (EngineBench.Row row : m.rows()) {
                EngineBench.Row anchor = m.rows().stream()
                        .filter(a -> a.engine().equals("llama.cpp") && a.context() == row.context())
                        .findFirst()
                        .orElse(null);
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s | %d | %.1f | %.2f | %s | %s | %.0f%% | %.2f |%n",
                        row.engine(),
                        row.context(),
                        row.prefillTokensPerSecond(),
                        row.decodeTokensPerSecond(),
                        anchor == null
                                ? "–"
                                : String.format(
                                        Locale.ROOT,
                                        "%.2f",
                                        row.prefillTokensPerSecond() / anchor.prefillTokensPerSecond()),
                        anchor == null
                                ? "–"
                                : String.format(
                                        Locale.ROOT,
                                        "%.2f",
                                        row.decodeTokensPerSecond() / anchor.decodeTokensPerSecond()),
                        100 * row.decodeTokensPerSecond() / m.bandwidthBoundTokensPerSecond(),
                        row.cpuShare()));
            }
            for (String note : m.notes()) sb.append("\n- ").append(note);
            sb.append('\n');
        }
        return sb.toString();
    }
}
