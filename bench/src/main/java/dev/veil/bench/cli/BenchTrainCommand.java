package dev.veil.bench.cli;

import dev.veil.bench.BenchResults;
import dev.veil.bench.TrainBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil bench train}: two builds' training steps alternating in one JVM ({@link TrainBench}). */
@Command(
        name = "train",
        description = {
            "Training throughput of two Veil builds (e.g. main's veil.jar and this one's) side by side in one JVM: full"
                    + " steps (forward, backward, AdamW) of the same model config alternate between them.",
            "Reports tokens/s and tokens per CPU-second (the figure that holds on a shared machine). Threads: the JVM's"
                    + " processor count (-XX:ActiveProcessorCount=N to pin it)."
        })
public final class BenchTrainCommand implements Callable<Integer> {
    @Option(
            names = "--baseline",
            required = true,
            paramLabel = "JAR",
            description = "build A (the baseline): a veil.jar, or a class path of jars and class directories")
    Path baseline;

    @Option(names = "--current", required = true, paramLabel = "JAR", description = "build B (as --baseline)")
    Path current;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            defaultValue = "models/veil-sotu-qwen2",
            description = "directory whose config.json is trained from scratch (default: ${DEFAULT-VALUE})")
    Path model;

    @Option(names = "--batch", defaultValue = "8", description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seq", defaultValue = "256", description = "tokens per sequence (default: ${DEFAULT-VALUE})")
    int seq;

    @Option(
            names = "--steps",
            defaultValue = "3",
            description = "timed steps per build and round (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--rounds", defaultValue = "3", description = "A/B rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Mixin
    ResultsOption results;

    @Override
    public Integer call() throws Exception {
        for (Path jar : new Path[] {baseline, current})
            if (!TrainBench.missing(jar).isEmpty())
                throw new IllegalArgumentException(TrainBench.missing(jar).getFirst() + " does not exist");
        if (!Files.isRegularFile(model.resolve("config.json")))
            throw new IllegalArgumentException(model.resolve("config.json") + " does not exist");
        if (batch < 1 || seq < 1 || steps < 1 || rounds < 1)
            throw new IllegalArgumentException("--batch, --seq, --steps and --rounds must be >= 1");
        TrainBench.Report r = TrainBench.run(baseline, current, model, batch, seq, steps, rounds, System.err);
        String name = BenchResults.dated("train");
        results.print(TrainBench.write(r, baseline, current, results.commandLine(), results.dir, name));
        return 0;
    }
}
