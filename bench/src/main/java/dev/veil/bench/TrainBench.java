package dev.veil.bench;

import static dev.veil.model.chart.MarkdownTable.f;

import dev.veil.model.chart.MarkdownTable;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training throughput of two Veil builds in one JVM: each jar gets its own class loader (so its own trainer, kernels
 * and thread pool), and full training steps — forward, backward, AdamW — of the same model config on the same token
 * batches alternate between them. Tokens/s is per wall second; tokens per CPU-second (the whole process's CPU time
 * over the step) is the figure that survives other load on a shared machine, where wall-clock rates swing several
 * times from run to run.
 *
 * <p>Only public trainer API is called (by reflection: {@code Transformer.initialize}, {@code new Trainer(...)},
 * {@code Trainer.step()}: batch sampling, forward, backward, clipping, AdamW), so a build from before a change works
 * as the baseline.
 */
public final class TrainBench {

    /** One build: its class loader and its trainer ({@code dev.veil.train.Trainer}) of one fresh model. */
    private static final class Build implements AutoCloseable {
        final String label;
        final URLClassLoader loader;
        final Object trainer;
        final Method step;
        final long parameterCount;

        Build(String label, Path jar, Path modelDir, int[] corpus, int batch, int seq) throws Exception {
            this.label = label;
            this.loader = new URLClassLoader(urls(jar), ClassLoader.getPlatformClassLoader());
            Class<?> configClass = loader.loadClass("dev.veil.model.ModelConfig");
            Object config = configClass.getMethod("read", Path.class).invoke(null, modelDir);
            Class<?> transformer = loader.loadClass("dev.veil.train.model.Transformer");
            Object model =
                    transformer.getMethod("initialize", configClass, long.class).invoke(null, config, 1L);
            parameterCount = (long) transformer.getMethod("parameterCount").invoke(model);
            Class<?> settings = loader.loadClass("dev.veil.train.TrainConfig$TrainingSettings");
            // the bundled model's optimiser settings; warm-up 1 step, the schedule long enough never to end
            Object s = settings.getConstructors()[0].newInstance(
                    1_000_000, batch, seq, 3e-3, 3e-4, 1, 0.1, 0.9, 0.95, 1e-8, 1.0, 100, 100, 16384);
            Class<?> tokens = loader.loadClass("dev.veil.train.CorpusTokens");
            Object data = tokens.getConstructor(int[].class).newInstance((Object) corpus);
            Class<?> trainerClass = loader.loadClass("dev.veil.train.Trainer");
            trainer = trainerClass
                    .getConstructor(transformer, settings, long.class, tokens)
                    .newInstance(model, s, 1L, data);
            step = trainerClass.getMethod("step");
        }

        void step() throws Exception {
            step.invoke(trainer);
        }

        @Override
        public void close() throws Exception {
            loader.close();
        }
    }

    /** A jar, or a class path of jars and class directories separated by the platform's path separator. */
    static URL[] urls(Path classPath) throws java.net.MalformedURLException {
        List<URL> urls = new ArrayList<>();
        for (String entry : classPath.toString().split(java.io.File.pathSeparator))
            if (!entry.isEmpty()) urls.add(Path.of(entry).toUri().toURL());
        return urls.toArray(URL[]::new);
    }

    /** Entries of {@code classPath} that do not exist (so the command refuses a typo before loading anything). */
    public static List<Path> missing(Path classPath) {
        List<Path> missing = new ArrayList<>();
        for (String entry : classPath.toString().split(java.io.File.pathSeparator))
            if (!entry.isEmpty() && !java.nio.file.Files.exists(Path.of(entry))) missing.add(Path.of(entry));
        return missing;
    }

    public record Run(String build, int round, double tokensPerSecond, double tokensPerCpuSecond, double seconds) {}

    public record Report(
            String config,
            long parameters,
            int batch,
            int seq,
            int steps,
            int rounds,
            int threads,
            List<Run> runs,
            double bestA,
            double bestB,
            double cpuA,
            double cpuB) {
        double wallRatio() {
            return bestB / bestA;
        }

        double cpuRatio() {
            return cpuB / cpuA;
        }
    }

    /**
     * @param modelDir a directory with the config.json to train (its weights are not read: training starts fresh)
     * @param steps    timed steps per build per round (after one untimed warm-up step per build and round)
     */
    public static Report run(
            Path jarA, Path jarB, Path modelDir, int batch, int seq, int steps, int rounds, PrintStream log)
            throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        List<Run> runs = new ArrayList<>();
        // random tokens: the arithmetic of a step does not depend on them
        int[] corpus =
                new SplittableRandom(7).ints(1 << 20, 0, readVocab(modelDir)).toArray();
        try (Build a = new Build("A", jarA, modelDir, corpus, batch, seq);
                Build b = new Build("B", jarB, modelDir, corpus, batch, seq)) {
            for (int round = 1; round <= rounds; round++) {
                for (Build build : List.of(a, b)) {
                    build.step(); // warm-up: JIT, buffers
                    long cpu0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) build.step();
                    double wall = (System.nanoTime() - t0) / 1e9, cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                    double tokens = (double) steps * batch * seq;
                    Run r = new Run(build.label, round, tokens / wall, tokens / cpu, wall);
                    runs.add(r);
                    log.printf(
                            Locale.ROOT,
                            "train bench: %s round %d: %.0f tok/s, %.0f tok per CPU-second (%.1f s)%n",
                            r.build(),
                            round,
                            r.tokensPerSecond(),
                            r.tokensPerCpuSecond(),
                            wall);
                }
            }
            return new Report(
                    modelDir.toString(),
                    a.parameterCount,
                    batch,
                    seq,
                    steps,
                    rounds,
                    Runtime.getRuntime().availableProcessors(),
                    runs,
                    best(runs, "A", Run::tokensPerSecond),
                    best(runs, "B", Run::tokensPerSecond),
                    best(runs, "A", Run::tokensPerCpuSecond),
                    best(runs, "B", Run::tokensPerCpuSecond));
        }
    }

    private static double best(List<Run> runs, String build, java.util.function.ToDoubleFunction<Run> f) {
        return runs.stream()
                .filter(r -> r.build().equals(build))
                .mapToDouble(f)
                .max()
                .orElse(0);
    }

    private static int readVocab(Path modelDir) throws java.io.IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(modelDir.resolve("config.json").toFile())
                .path("vocab_size")
                .asInt();
    }

    /** Writes {@code dir/name.json} and {@code .md}; returns the markdown. */
    public static String write(Report r, Path jarA, Path jarB, String command, Path dir, String name)
            throws java.io.IOException {
        StringBuilder md = BenchTable.opening("Training throughput: " + name, command);
        md.append(String.format(
                Locale.ROOT,
                "- model: %s (%,d parameters), batch %d × %d tokens, %d timed steps per build and round, %d rounds,"
                        + " %d threads%n",
                r.config(),
                r.parameters(),
                r.batch(),
                r.seq(),
                r.steps(),
                r.rounds(),
                r.threads()));
        md.append("- A: `").append(jarA).append("`, B: `").append(jarB).append("` (one JVM, a class loader each)\n");
        md.append("- machine: ").append(Machine.current()).append("\n");
        md.append("- a step: `Trainer.step()` (batch sampling, forward, backward, clipping, AdamW) on random tokens;"
                + " one untimed step per build before each round\n\n");
        md.append(new MarkdownTable<Run>()
                .left("build", Run::build)
                .right("round", run -> String.valueOf(run.round()))
                .right("tok/s", run -> f("%.0f", run.tokensPerSecond()))
                .right("tok per CPU-second", run -> f("%.0f", run.tokensPerCpuSecond()))
                .right("seconds", run -> f("%.1f", run.seconds()))
                .render(r.runs()));
        md.append(String.format(
                Locale.ROOT,
                "%nBest tok/s: A %.0f, B %.0f, B / A = **%.2f**. Best tok per CPU-second: A %.0f, B %.0f, B / A ="
                        + " **%.2f**.%n",
                r.bestA(),
                r.bestB(),
                r.wallRatio(),
                r.cpuA(),
                r.cpuB(),
                r.cpuRatio()));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", command);
        json.put("a", jarA.toString());
        json.put("b", jarB.toString());
        json.put("report", r);
        json.put("ratio_tokens_per_second", r.wallRatio());
        json.put("ratio_tokens_per_cpu_second", r.cpuRatio());
        BenchResults.write(dir, name, json, md.toString());
        return md.toString();
    }
}
