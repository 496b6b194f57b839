package dev.veil.bench.aloepri;

import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ObfuscateModelDir;
import dev.veil.aloepri.key.KeyMatrices;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.bench.BenchModel;
import dev.veil.bench.BenchResults;
import dev.veil.bench.Machine;
import dev.veil.engine.KvCache;
import dev.veil.engine.Sampler;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * AloePri's costs on Veil's engine, in one run: the offline obfuscation time per parameter (what {@code veil obfuscate}
 * does with the defaults, κ calibration and fingerprints included) and the decode speed of the obfuscated model
 * against the plain one. Decode runs alternate between the two models and the best of several is kept, so both see
 * the same machine state; the ratio is the number to read, against the target ((d+2h)/d)·1.05 — every
 * weight matrix of the obfuscated model is (d+2h)/d times as large, and decode reads each once per token.
 *
 * <p>Times are wall clock on the threads the engine's pool has; process CPU time is recorded beside the obfuscation
 * time, because on a shared machine the wall clock also counts other people's work.
 */
public final class AloePriBench {

    /** The targets. */
    public static final double MINUTES_PER_BILLION_TARGET = 1.0, DECODE_SLACK = 1.05;

    /** @param obfuscations runs of the whole obfuscation (best of); {@code repeats} decode runs per model (best of) */
    public record Settings(int promptTokens, int decodeTokens, int repeats, int obfuscations) {
        public Settings {
            if (promptTokens < 1 || decodeTokens < 1 || repeats < 1 || obfuscations < 1)
                throw new IllegalArgumentException("prompt, decode tokens, repeats and obfuscations must all be >= 1");
        }
    }

    /** One obfuscation: wall and process CPU seconds. */
    public record Timing(double wallSeconds, double cpuSeconds) {}

    /**
     * @param keyBaseSeconds       wall time of Algorithm 1's INIT alone (Haar U and Z, B⁻¹, the key bases): the part
     *                             that grows with d³ rather than with the parameter count
     * @param minutesPerBillion    best wall time per billion parameters
     * @param cpuMinutesPerBillion process CPU time per billion parameters, divided by the thread count: what the wall
     *                             time would be with the cores to ourselves and perfect scaling
     * @param decodeTimeRatio      obfuscated / plain seconds per decoded token
     */
    public record Report(
            String date,
            String commandLine,
            Machine machine,
            int threads,
            String model,
            String architecture,
            int hiddenSize,
            int expansion,
            long parameters,
            String dtype,
            List<Timing> obfuscations,
            double keyBaseSeconds,
            double secondsPerMillionParameters,
            double minutesPerBillion,
            double cpuMinutesPerBillion,
            int promptTokens,
            int decodeTokens,
            int repeats,
            double plainDecodeTokensPerSecond,
            double obfuscatedDecodeTokensPerSecond,
            double decodeTimeRatio,
            double decodeTimeTarget) {

        public boolean obfuscationTargetMet() {
            return minutesPerBillion <= MINUTES_PER_BILLION_TARGET;
        }

        public boolean decodeTargetMet() {
            return decodeTimeRatio <= decodeTimeTarget;
        }
    }

    private final Settings settings;
    private final PrintStream log;

    public AloePriBench(Settings settings, PrintStream log) {
        this.settings = settings;
        this.log = log;
    }

    /** Benchmarks {@code model}; the obfuscated copies go to a temporary directory under {@code work}, removed after. */
    public Report run(BenchModel model, Path work, String commandLine) throws IOException {
        ModelConfig c = model.config();
        AloePriParams params = AloePriParams.defaults(c.hiddenSize());
        Path dir = Files.createTempDirectory(Files.createDirectories(work), "aloepri-bench-");
        try {
            long start = System.nanoTime();
            KeyMatrices.generate(c.hiddenSize(), params.expansion(), params.lambda(), KeyStream.fromSeed("bench-base"));
            double keyBase = (System.nanoTime() - start) / 1e9;
            log.printf(
                    "aloepri bench: %s, %.1fM parameters, d = %d -> %d; key base alone %.2f s%n",
                    model.name(),
                    model.parameters() / 1e6,
                    c.hiddenSize(),
                    c.hiddenSize() + 2 * params.expansion(),
                    keyBase);

            List<Timing> timings = new ArrayList<>();
            AloePriKey key = null;
            for (int i = 0; i < settings.obfuscations(); i++) {
                Path out = dir.resolve("obfuscated-" + i);
                long cpu0 = processCpuNanos(), wall0 = System.nanoTime();
                key = ObfuscateModelDir.run(
                        ObfuscateModelDir.Request.of(model.dir(), out, dir.resolve("key-" + i), params)
                                .withSeed("aloepri-bench"));
                Timing t = new Timing((System.nanoTime() - wall0) / 1e9, (processCpuNanos() - cpu0) / 1e9);
                timings.add(t);
                log.printf(
                        "aloepri bench: obfuscation %d: %.1f s wall, %.1f s CPU%n",
                        i + 1, t.wallSeconds(), t.cpuSeconds());
                if (i + 1 < settings.obfuscations()) deleteTree(out);
            }
            double best =
                    timings.stream().mapToDouble(Timing::wallSeconds).min().orElseThrow();
            double bestCpu =
                    timings.stream().mapToDouble(Timing::cpuSeconds).min().orElseThrow();
            double billions = model.parameters() / 1e9;
            int threads = Parallel.shared().threads();

            double[] perToken = decode(model.dir(), dir.resolve("obfuscated-" + (settings.obfuscations() - 1)), key);
            double target = (double) (c.hiddenSize() + 2 * params.expansion()) / c.hiddenSize() * DECODE_SLACK;
            Report r = new Report(
                    LocalDateTime.now().withNano(0).toString(),
                    commandLine,
                    Machine.current(),
                    threads,
                    model.name(),
                    c.architecture().modelType,
                    c.hiddenSize(),
                    params.expansion(),
                    model.parameters(),
                    model.dtype().name(),
                    timings,
                    keyBase,
                    best / (model.parameters() / 1e6),
                    best / 60 / billions,
                    bestCpu / threads / 60 / billions,
                    settings.promptTokens(),
                    settings.decodeTokens(),
                    settings.repeats(),
                    1 / perToken[0],
                    1 / perToken[1],
                    perToken[1] / perToken[0],
                    target);
            log.printf(
                    "aloepri bench: %.2f min per billion parameters (wall; CPU/threads %.2f); decode %.2f vs %.2f tok/s, ratio %.3f (target <= %.3f)%n",
                    r.minutesPerBillion(),
                    r.cpuMinutesPerBillion(),
                    r.plainDecodeTokensPerSecond(),
                    r.obfuscatedDecodeTokensPerSecond(),
                    r.decodeTimeRatio(),
                    target);
            return r;
        } finally {
            deleteTree(dir);
        }
    }

    /** Best seconds per decoded token of the plain and the obfuscated model, runs alternating between them. */
    private double[] decode(Path plainDir, Path obfuscatedDir, AloePriKey key) throws IOException {
        try (ModelFiles plain = ModelFiles.open(plainDir);
                ModelFiles obfuscated = ModelFiles.open(obfuscatedDir)) {
            Transformer p = engine(plain), o = engine(obfuscated);
            int[] prompt = prompt(plain.config().vocabSize(), key);
            int[] obfuscatedPrompt = key.permutation().obfuscate(prompt);
            timeDecode(p, prompt, Math.min(8, settings.decodeTokens())); // warm-up (JIT)
            timeDecode(o, obfuscatedPrompt, Math.min(8, settings.decodeTokens()));
            double bestPlain = Double.MAX_VALUE, bestObfuscated = Double.MAX_VALUE;
            for (int r = 0; r < settings.repeats(); r++) {
                boolean plainFirst = r % 2 == 0;
                double a = plainFirst
                        ? timeDecode(p, prompt, settings.decodeTokens())
                        : timeDecode(o, obfuscatedPrompt, settings.decodeTokens());
                double b = plainFirst
                        ? timeDecode(o, obfuscatedPrompt, settings.decodeTokens())
                        : timeDecode(p, prompt, settings.decodeTokens());
                bestPlain = Math.min(bestPlain, plainFirst ? a : b);
                bestObfuscated = Math.min(bestObfuscated, plainFirst ? b : a);
                log.printf(
                        "aloepri bench: decode run %d: plain %.1f ms/token, obfuscated %.1f ms/token%n",
                        r + 1, 1e3 * (plainFirst ? a : b), 1e3 * (plainFirst ? b : a));
            }
            return new double[] {bestPlain, bestObfuscated};
        }
    }

    /** Seconds per token of greedy decoding {@code n} tokens after prefilling {@code prompt}. */
    private static double timeDecode(Transformer model, int[] prompt, int n) {
        KvCache cache = new KvCache(model.config(), prompt.length + n + 1);
        int next = Sampler.argmax(model.forward(prompt, cache));
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) next = Sampler.argmax(model.forward(new int[] {next}, cache));
        return (System.nanoTime() - start) / 1e9 / n;
    }

    private static Transformer engine(ModelFiles m) {
        return new Transformer(new LocalLinearBackend(m.config(), m.weights(), Parallel.shared()));
    }

    /** Pseudo-random plaintext ids that τ moves (no special tokens). */
    private int[] prompt(int vocab, AloePriKey key) {
        SplittableRandom rng = new SplittableRandom(1234);
        int[] ids = new int[settings.promptTokens()];
        for (int i = 0; i < ids.length; i++) {
            int id;
            do id = rng.nextInt(vocab);
            while (key.fixedTokens().contains(id));
            ids[i] = id;
        }
        return ids;
    }

    /** Writes {@code aloepri-<date>.json} and {@code .md} into {@code outDir}; returns the markdown's path. */
    public static Path write(Report r, Path outDir) throws IOException {
        return BenchResults.writeDated(outDir, "aloepri", r, AloePriBenchTable.markdown(r));
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
