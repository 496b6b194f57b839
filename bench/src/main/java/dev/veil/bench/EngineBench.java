package dev.veil.bench;

import dev.veil.model.ModelFiles;
import dev.veil.model.RandomModel;
import dev.veil.model.gguf.GgufExport;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * {@code veil bench engine}: Veil, llama.cpp and Jlama side by side in one run, on the same weights (the GGUF is
 * Veil's export of the same directory, at the same precision), with the same thread count and the same token ids.
 * For a short and a long context it measures prefill tokens/s and decode tokens/s, best of N repetitions, Veil and
 * llama.cpp taking turns (one repetition each per round, so slow phases of a shared host fall on both); it also measures the
 * machine's streaming read bandwidth in the same run, which bounds decode at {@code bandwidth / weight bytes per token}.
 * Results are ratios against the anchors; absolute numbers only describe this machine on this day.
 */
public record EngineBench(Settings settings, LlamaCpp llamaCpp, PrintStream log) {

    /** How to run: thread counts (each model runs at each), prompt lengths, decode length, repeats (best of). */
    public record Settings(
            List<Integer> threads, int shortContext, int longContext, int decodeTokens, int repeats, boolean jlama) {
        public Settings {
            threads = List.copyOf(threads);
        }

        public int[] contexts() {
            return new int[] {shortContext, longContext};
        }

        public int maxThreads() {
            return threads.stream().mapToInt(Integer::intValue).max().orElseThrow();
        }
    }

    /**
     * One engine timed at one prompt length.
     *
     * @param cpuShare CPU time the engine's process got per thread and wall second over the timed runs: near 1 on a
     *                 quiet machine; well below 1 means other load took the cores and the rates understate the engine
     */
    public record Row(
            String engine, int context, double prefillTokensPerSecond, double decodeTokensPerSecond, double cpuShare) {}

    /** An engine run in this JVM. */
    public interface Contender extends AutoCloseable {
        String name();

        /** Seconds to prefill {@code prompt} (through the first sampled token) and to decode {@code decode} more. */
        double[] time(int[] prompt, int decode);

        @Override
        void close();
    }

    public record ModelResult(
            String name,
            String dtype,
            int threads,
            long parameters,
            long weightBytesPerToken,
            double bandwidthBoundTokensPerSecond,
            List<Row> rows,
            List<String> notes) {}

    /**
     * @param vectorBoundsChecks whether the Vector API checked bounds on every load in this run (the JDK default;
     *                           {@code -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0} turns them off). It is read
     *                           once, when the Vector API initialises, so it holds for Veil and Jlama alike ({@link Jlama}
     *                           keeps Jlama from switching it off for the whole JVM).
     */
    public record Report(
            String date,
            String commandLine,
            Machine machine,
            LlamaCpp.Info llamaCpp,
            String jlama,
            List<Integer> threads,
            double bandwidthBytesPerSecond,
            boolean vectorBoundsChecks,
            Settings settings,
            List<ModelResult> models) {}

    /** The system property the JDK's Vector API reads once: "0" turns its per-load bounds checks off. */
    public static final String VECTOR_OOB_CHECK = "jdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK";

    /** Benchmarks each model; writes {@code outDir/engine-<date>.json} and {@code .md}; returns the report. */
    public Report run(List<BenchModel> models, Path outDir, String commandLine)
            throws IOException, InterruptedException {
        Machine machine = Machine.current();
        boolean vectorBoundsChecks = !"0".equals(System.getProperty(VECTOR_OOB_CHECK));
        double before = bandwidth(); // initialises the Vector API: the bounds-check setting is fixed from here on
        LlamaCpp.Info llamaInfo = null;
        List<ModelResult> results = new ArrayList<>();
        for (BenchModel m : models) {
            for (int threads : settings.threads()) {
                List<Row> rows = new ArrayList<>();
                List<String> notes = new ArrayList<>();
                int[] prompt = prompt(m, settings.longContext());
                log.println("bench: " + m.name() + " (" + m.dtype() + ", " + m.parameters() / 1_000_000
                        + "M parameters, " + threads + " threads): Veil");
                // Veil and llama.cpp take turns, one repetition each per round: this shared host's slow phases
                // last seconds (a decode loop moved between ~75 and ~120 tok/s with nothing else changing), and
                // timing all of one engine's repetitions before the other's let a phase fall on one engine only.
                Best veil = new Best("Veil"), llama = new Best("llama.cpp");
                Path gguf = llamaCppGguf(m);
                try (Contender c = VeilEngine.open(m.veilSource(), threads)) {
                    warmUp(c, prompt);
                    for (int r = 0; r < settings.repeats(); r++) {
                        veil.addAll(once(c, prompt, threads));
                        log.println("bench: " + m.name() + ": llama.cpp, round " + (r + 1));
                        LlamaCpp.Reply reply = llamaCppTimings(gguf, prompt, threads);
                        llamaInfo = reply.llamaCpp();
                        for (LlamaCpp.Timing t : reply.bench())
                            llama.add(new Row(
                                    llama.engine,
                                    t.context(),
                                    t.prefillTokensPerSecond(),
                                    t.decodeTokensPerSecond(),
                                    t.cpuShare()));
                    }
                } finally {
                    if (m.gguf() == null) Files.deleteIfExists(gguf);
                }
                rows.addAll(veil.rows());
                rows.addAll(llama.rows());
                String jlamaGap = m.gguf() != null
                        ? "it runs Hugging Face checkpoints, not quantized GGUFs"
                        : Jlama.unsupported(m.config());
                if (!settings.jlama()) notes.add("Jlama skipped (--no-jlama)");
                else if (jlamaGap != null) notes.add("Jlama skipped: " + jlamaGap);
                else {
                    log.println("bench: " + m.name() + ": Jlama");
                    try (Contender c = Jlama.load(m.dir(), threads)) {
                        rows.addAll(measure(c, prompt, threads));
                    }
                    if (Jlama.threads() != threads)
                        notes.add("Jlama ran with " + Jlama.threads()
                                + " threads (its pool is fixed at first use in a JVM)");
                }
                results.add(new ModelResult(
                        m.name(), m.dtype().name(), threads, m.parameters(), m.weightBytesPerToken(), 0, rows, notes));
            }
        }
        // Measured before and after the engines, the best of both: on a shared machine, other load only lowers it.
        double bandwidth = Math.max(before, bandwidth());
        results.replaceAll(r -> new ModelResult(
                r.name(),
                r.dtype(),
                r.threads(),
                r.parameters(),
                r.weightBytesPerToken(),
                bandwidth / r.weightBytesPerToken(),
                r.rows(),
                r.notes()));
        Report report = new Report(
                LocalDateTime.now().withNano(0).toString(),
                commandLine,
                machine,
                llamaInfo,
                "jlama-core 0.8.4",
                settings.threads(),
                bandwidth,
                vectorBoundsChecks,
                settings,
                results);
        write(report, outDir);
        return report;
    }

    private double bandwidth() throws InterruptedException {
        double b = MemoryBandwidth.measure(1L << 30, settings.maxThreads(), 10);
        log.printf(Locale.ROOT, "bench: %.1f GB/s streaming read (%d threads)%n", b / 1e9, settings.maxThreads());
        return b;
    }

    /** Best-of-repeats timings of one in-JVM engine at each context, after {@link #warmUp}. */
    private List<Row> measure(Contender c, int[] longPrompt, int threads) {
        warmUp(c, longPrompt);
        Best best = new Best(c.name());
        for (int r = 0; r < settings.repeats(); r++) best.addAll(once(c, longPrompt, threads));
        return best.rows();
    }

    /**
     * Untimed rounds at every context until a round leaves the JIT compiler quiet (under {@value #JIT_QUIET_MS} ms of
     * compilation, at most {@value #MAX_WARMUP_ROUNDS} rounds): the bench measures the steady state; the first token
     * of a cold process is {@code bench cold-start}'s. A long prompt takes code paths a short one does not (Veil: the
     * blocked GEMM for BF16 prefill, four key blocks per attention chunk from 64 positions on); warmed at the short
     * context only, its first runs deoptimised and recompiled those methods while being timed (docs/warm-start.md).
     * One warm-up run was not enough for the 0.5B shape's quantized models: C2 was still compiling during the first
     * timed context (CPU share 1.17 of one thread; decode 29.3 tok/s there against 37.8 at the next context).
     */
    private void warmUp(Contender c, int[] longPrompt) {
        var jit = ManagementFactory.getCompilationMXBean();
        int rounds = 0;
        long compiled = 0;
        while (rounds < MAX_WARMUP_ROUNDS) {
            long before = jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
            for (int context : settings.contexts())
                c.time(Arrays.copyOf(longPrompt, context), Math.min(8, settings.decodeTokens()));
            rounds++;
            if (!jit.isCompilationTimeMonitoringSupported()) break;
            compiled = jit.getTotalCompilationTime() - before;
            if (rounds > 1 && compiled < JIT_QUIET_MS) break;
        }
        System.err.printf("%s: %d warm-up rounds (%d ms compiling in the last)%n", c.name(), rounds, compiled);
    }

    /** One timed repetition of {@code c} at each context. */
    private List<Row> once(Contender c, int[] longPrompt, int threads) {
        List<Row> rows = new ArrayList<>();
        for (int context : settings.contexts()) {
            long cpu0 = processCpuNanos(), wall0 = System.nanoTime();
            double[] t = c.time(Arrays.copyOf(longPrompt, context), settings.decodeTokens());
            double cpuShare = (processCpuNanos() - cpu0) / ((double) (System.nanoTime() - wall0) * threads);
            rows.add(new Row(c.name(), context, context / t[0], settings.decodeTokens() / t[1], cpuShare));
        }
        return rows;
    }

    /** One engine's repetitions: per context the best prefill and decode rates, and the mean CPU share. */
    private static final class Best {
        final String engine;
        private final Map<Integer, List<Row>> byContext = new TreeMap<>();

        Best(String engine) {
            this.engine = engine;
        }

        void add(Row r) {
            byContext.computeIfAbsent(r.context(), k -> new ArrayList<>()).add(r);
        }

        void addAll(List<Row> rows) {
            rows.forEach(this::add);
        }

        List<Row> rows() {
            List<Row> out = new ArrayList<>();
            byContext.forEach((context, rs) -> out.add(new Row(
                    engine,
                    context,
                    rs.stream().mapToDouble(Row::prefillTokensPerSecond).max().orElseThrow(),
                    rs.stream().mapToDouble(Row::decodeTokensPerSecond).max().orElseThrow(),
                    rs.stream().mapToDouble(Row::cpuShare).average().orElseThrow())));
            return out;
        }
    }

    /** Warm-up: rounds at every context until one compiles less than this (ms), at most that many rounds. */
    static final int JIT_QUIET_MS = 20, MAX_WARMUP_ROUNDS = 12;

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * The GGUF llama.cpp runs: the model's own when it has one (quantized), else Veil's export at the same precision
     * into a temporary file, written once for all the rounds (the caller deletes it).
     */
    private static Path llamaCppGguf(BenchModel m) throws IOException {
        if (m.gguf() != null) return m.gguf();
        Path gguf = Files.createTempFile("veil-bench-", ".gguf");
        try (ModelFiles files = ModelFiles.open(m.dir())) {
            GgufExport.write(files, gguf, m.dtype());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(gguf);
            throw e;
        }
        return gguf;
    }

    /** One round of llama.cpp on {@code gguf}: a fresh process, one untimed and one timed run per context. */
    private LlamaCpp.Reply llamaCppTimings(Path gguf, int[] prompt, int threads) throws IOException {
        int contextSize = settings.longContext() + settings.decodeTokens() + 8;
        LlamaCpp.Request request = new LlamaCpp.Request(
                gguf,
                threads,
                contextSize,
                List.of(prompt),
                false,
                0,
                new LlamaCpp.Bench(settings.contexts(), settings.decodeTokens(), 1, 1));
        return llamaCpp.run(request, Duration.ofMinutes(30));
    }

    /** The same pseudo-random token ids for every engine (special tokens excluded). */
    static int[] prompt(BenchModel m, int length) {
        SplittableRandom rng = new SplittableRandom(1234);
        int[] ids = new int[length];
        int plain = m.config().vocabSize() - RandomModel.SPECIALS.size();
        for (int i = 0; i < length; i++) ids[i] = rng.nextInt(plain);
        return ids;
    }

    private void write(Report report, Path outDir) throws IOException {
        Path md = BenchResults.writeDated(outDir, "engine", report, BenchTable.markdown(report));
        log.println("bench: wrote " + md + " (and .json)");
    }
}
