package dev.veil.bench;

import static dev.veil.model.chart.MarkdownTable.f;

import dev.veil.model.chart.MarkdownTable;
import dev.veil.model.gguf.GgufFile;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.io.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a user meets on the first request: a fresh process from spawn to its first token (or its first {@code N}), which
 * comes once the model is loaded, the prompt prefilled and the tokens picked. Veil is {@code ./veil generate
 * --max-tokens N} (the launcher as a user runs it, JVM options and all); llama.cpp is node-llama-cpp's prebuilt build
 * loading the same GGUF, prefilling the same token ids (Veil's tokenization of the prompt) on the same threads and
 * generating N greedy tokens. Each is timed to the last byte it writes on stdout: Veil streams the tokens and ends the
 * line after the last, llama.cpp's runner prints its reply once all are generated. The subjects alternate within each
 * repetition, so machine load falls on both alike.
 */
public record ColdStartBench(Path veilHome, LlamaCpp llamaCpp, Appendable log) {

    /**
     * @param variants name → extra JVM options for Veil ({@code VEIL_JAVA_OPTS}); the first is the one the ratio is for
     */
    public record Settings(
            Path gguf, String prompt, int threads, int repetitions, int tokens, Map<String, String> variants) {
        public Settings {
            if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
            if (tokens < 1) throw new IllegalArgumentException("--tokens must be >= 1, got " + tokens);
            if (repetitions < 1) throw new IllegalArgumentException("--reps must be >= 1, got " + repetitions);
            if (variants.isEmpty()) throw new IllegalArgumentException("no Veil variant to measure");
            variants = new LinkedHashMap<>(variants);
        }
    }

    /**
     * One spawn: seconds to the first and to the last byte on stdout (the last: the tokens are out) and to exit, the
     * CPU seconds the process had used by its last byte (all its threads: kernels, JIT compilers, GC; less sensitive to
     * other load than the wall time), and the 1-minute load average when it started.
     */
    public record Run(
            String subject,
            int repetition,
            double firstByteSeconds,
            double lastByteSeconds,
            double exitSeconds,
            double cpuSeconds,
            double loadAverage) {}

    /** Per subject: the median and the range of its last-byte times, and its median over llama.cpp's. */
    public record Summary(
            String subject,
            double medianSeconds,
            double minSeconds,
            double maxSeconds,
            double ratio,
            double medianCpuSeconds,
            double cpuRatio) {}

    public record Report(
            String command,
            Machine machine,
            String veilVersion,
            LlamaCpp.Info llamaCpp,
            Path gguf,
            int promptTokens,
            int threads,
            int tokens,
            List<Run> runs,
            List<Summary> summaries) {}

    static final String LLAMA = "llama.cpp";

    public Report run(Settings s, String command) throws IOException {
        int[] ids;
        try (GgufFile g = GgufFile.open(s.gguf())) {
            // the ids Veil's generate will prefill: its tokenizer comes from the GGUF when no directory is given
            ids = Tokenizer.fromGguf(g.metadata()).encode(s.prompt(), true, true);
        }
        Path request = Files.createTempFile("veil-cold-start", ".json");
        try {
            var llamaRequest = new LlamaCpp.Request(s.gguf(), s.threads(), 512, List.of(ids), false, s.tokens(), null);
            LlamaCpp.write(llamaRequest, request);
            Path launcher = veilHome.resolve("veil");
            if (!Files.isExecutable(launcher)) throw new IOException(launcher + ": the veil launcher is missing");
            // builds the jar if the sources changed and warms the page cache for both, outside the timings
            time("veil --version", new ProcessBuilder(launcher.toString(), "--version"), -1);
            LlamaCpp.Info info =
                    llamaCpp.run(llamaRequest, Duration.ofMinutes(30)).llamaCpp();
            List<String> subjects = new ArrayList<>(s.variants().keySet());
            subjects.add(LLAMA);
            List<Run> runs = new ArrayList<>();
            for (int r = 0; r < s.repetitions(); r++) {
                // rotate the order so no subject always follows the same one
                for (int k = 0; k < subjects.size(); k++) {
                    String subject = subjects.get((k + r) % subjects.size());
                    ProcessBuilder pb;
                    if (subject.equals(LLAMA)) pb = llamaCpp.process(request);
                    else {
                        pb = new ProcessBuilder(
                                launcher.toString(),
                                "generate",
                                "--model",
                                s.gguf().toString(),
                                "--prompt",
                                s.prompt(),
                                "--max-tokens",
                                Integer.toString(s.tokens()),
                                "--threads",
                                Integer.toString(s.threads()));
                        pb.environment().put("VEIL_JAVA_OPTS", s.variants().get(subject));
                    }
                    Run run = time(subject, pb, r);
                    runs.add(run);
                    log.append(String.format(
                            Locale.ROOT,
                            "cold-start: rep %d %-12s first byte %.2f s, last %.2f s (CPU %.2f s), exit %.2f s (load"
                                    + " %.1f)%n",
                            r + 1,
                            subject,
                            run.firstByteSeconds(),
                            run.lastByteSeconds(),
                            run.cpuSeconds(),
                            run.exitSeconds(),
                            run.loadAverage()));
                }
            }
            List<Summary> summaries = summarize(runs, subjects);
            return new Report(
                    command,
                    Machine.current(),
                    ColdStartBench.class.getPackage().getImplementationVersion(),
                    info,
                    s.gguf(),
                    ids.length,
                    s.threads(),
                    s.tokens(),
                    runs,
                    summaries);
        } finally {
            Files.deleteIfExists(request);
        }
    }

    static List<Summary> summarize(List<Run> runs, List<String> subjects) {
        Map<String, double[]> times = new LinkedHashMap<>(), cpu = new LinkedHashMap<>();
        for (String subject : subjects) {
            List<Run> mine =
                    runs.stream().filter(r -> r.subject().equals(subject)).toList();
            times.put(
                    subject,
                    mine.stream().mapToDouble(Run::lastByteSeconds).sorted().toArray());
            cpu.put(subject, mine.stream().mapToDouble(Run::cpuSeconds).sorted().toArray());
        }
        double llama = median(times.get(LLAMA)), llamaCpu = median(cpu.get(LLAMA));
        List<Summary> out = new ArrayList<>();
        times.forEach((subject, t) -> {
            double c = median(cpu.get(subject));
            out.add(new Summary(subject, median(t), t[0], t[t.length - 1], median(t) / llama, c, c / llamaCpu));
        });
        return out;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * Spawns {@code pb} and times its first and last stdout bytes and its exit; a failed process fails with its
     * stderr.
     */
    private static Run time(String subject, ProcessBuilder pb, int repetition) throws IOException {
        double load = BenchResults.loadAverage();
        Path err = Files.createTempFile("veil-cold-start", ".err");
        try {
            pb.redirectError(err.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            double first = Double.NaN, last = Double.NaN, cpu = Double.NaN;
            try (InputStream out = p.getInputStream()) {
                byte[] buffer = new byte[8192];
                for (int read; (read = out.read(buffer)) >= 0; ) {
                    last = (System.nanoTime() - t0) / 1e9;
                    // NaN once the process has exited and been reaped: keep the last reading taken while it ran
                    double used = cpuSeconds(p.pid());
                    if (!Double.isNaN(used)) cpu = used;
                    if (Double.isNaN(first)) first = last;
                }
            }
            int status = Processes.await(p, Duration.ofMinutes(30), subject);
            double exit = (System.nanoTime() - t0) / 1e9;
            if (status != 0 || Double.isNaN(first))
                throw new IOException(subject + " (" + String.join(" ", pb.command()) + ") failed (exit " + status
                        + "): " + Files.readString(err).strip());
            return new Run(subject, repetition, first, last, exit, cpu, load);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** User + system CPU seconds of a live process, all threads (Linux /proc; NaN elsewhere). */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the fields after the command name, which is in parentheses and may hold spaces
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLOCK_TICKS;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Linux's USER_HZ, the unit of /proc/PID/stat's times: 100 on every mainstream kernel configuration. */
    private static final int CLOCK_TICKS = 100;

    /** The results as markdown: the medians and ratios, then every run. */
    public static String markdown(Report r) {
        StringBuilder md = new StringBuilder();
        String to = r.tokens() == 1 ? "first token" : "token " + r.tokens();
        md.append("# Cold start: process spawn to the " + to + "\n\n")
                .append("`")
                .append(r.command())
                .append("`\n\n")
                .append(f(
                        "%s, %d prompt tokens, %d generated, %d thread(s); ",
                        r.gguf().getFileName(), r.promptTokens(), r.tokens(), r.threads()))
                .append(f(
                        "%s; JDK %s; llama.cpp: node-llama-cpp 3.22.1 prebuilt. %s%n%n",
                        r.machine().cpu(), r.machine().jdk(), Instant.now()))
                .append(new MarkdownTable<Summary>()
                        .left("subject", Summary::subject)
                        .right("median " + to + " (s)", s -> f("%.2f", s.medianSeconds()))
                        .right("min", s -> f("%.2f", s.minSeconds()))
                        .right("max", s -> f("%.2f", s.maxSeconds()))
                        .right("× llama.cpp", s -> f("%.2f", s.ratio()))
                        .right("median CPU s to it", s -> f("%.2f", s.medianCpuSeconds()))
                        .right("× llama.cpp", s -> f("%.2f", s.cpuRatio()))
                        .render(r.summaries()))
                .append("\n")
                .append(new MarkdownTable<Run>()
                        .right("rep", run -> String.valueOf(run.repetition() + 1))
                        .left("subject", Run::subject)
                        .right("first byte (s)", run -> f("%.2f", run.firstByteSeconds()))
                        .right("last byte (s)", run -> f("%.2f", run.lastByteSeconds()))
                        .right("CPU s to it", run -> f("%.2f", run.cpuSeconds()))
                        .right("exit (s)", run -> f("%.2f", run.exitSeconds()))
                        .right("load average", run -> f("%.1f", run.loadAverage()))
                        .render(r.runs()));
        return md.toString();
    }

    /** Writes {@code cold-start-<time>.json} and {@code .md} under {@code dir}; returns the markdown file. */
    public static Path write(Report r, Path dir) throws IOException {
        return BenchResults.write(dir, BenchResults.dated("cold-start"), r, markdown(r));
    }
}
