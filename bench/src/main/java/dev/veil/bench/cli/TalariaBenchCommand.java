package dev.veil.bench.cli;

import dev.veil.bench.talaria.BenchModels;
import dev.veil.bench.talaria.TalariaBench;
import dev.veil.cli.DemoCommand;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil bench talaria}: TTFT and TPOT of Talaria against the local plain engine in one run. */
@Command(
        name = "talaria",
        description = {
            "Benchmark Talaria (cloud + setup authority on loopback) against the local plain engine on the same weights: "
                    + "TTFT, TPOT and their ratios to local, bytes and round trips per token, time waiting for the cloud; "
                    + "every output checked identical to the plain engine's.",
            "Writes talaria-<date>.json and .md."
        })
final class TalariaBenchCommand implements Callable<Integer> {

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "Hugging Face model directory or .gguf (default: the bundled " + DemoCommand.BUNDLED + ")")
    Path model;

    @Option(
            names = "--random",
            description = "benchmark a random 4.2M-parameter Qwen2-shaped model instead of a model directory")
    boolean random;

    @Option(
            names = "--shape",
            paramLabel = "NAME",
            description =
                    "benchmark random BF16 weights of a real model's shape: "
                            + "qwen2.5-0.5b or llama-3.2-1b (generated once into the Veil cache, $VEIL_CACHE or ~/.cache/veil, and reused)")
    String shape;

    @Option(names = "--prompt-tokens", defaultValue = "32", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(
            names = "--tokens",
            defaultValue = "32",
            description = "tokens generated per run (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(
            names = "--reps",
            defaultValue = "5",
            description = "runs per setting after a warm-up; medians reported (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(
            names = "--settings",
            split = ",",
            paramLabel = "KEY",
            description =
                    "settings to run, comma-separated, of: plaintext, "
                            + "default, default-jdk, default-netty-cloud, session, remo, remo-session, decoy, embed-local, local, plaintext-local, "
                            + "moe-topk, moe-topk+1, moe-topk+2 (MoE models: fewer experts per row than default's every expert) "
                            + "(default: all but default-netty-cloud, which starts a second cloud on the shared Netty server, the moe settings, and the "
                            + "last three, which need a table server's client and, for local and plaintext-local, a tied model). ReMO per request on a large model makes "
                            + "the setup authority compute m rows of every product per request: minutes at 200M parameters on 2 cores")
    List<String> settings = List.of();

    @Option(
            names = "--net-delay-ms",
            split = ",",
            paramLabel = "MS",
            description = "also run every setting over a network of "
                    + "this round trip (added to each call over loopback), comma-separated, e.g. 0.1,0.5,2")
    List<Double> netDelays = List.of();

    @Option(
            names = "--cold",
            split = ",",
            paramLabel = "KEY",
            description = "first measure a fresh client's first request "
                    + "(TTFT) for these settings, against the local engine's first request")
    List<String> cold = List.of();

    @Mixin
    ResultsOption results;

    @Override
    public Integer call() throws Exception {
        if ((random ? 1 : 0) + (model != null ? 1 : 0) + (shape != null ? 1 : 0) > 1)
            throw new IllegalArgumentException("--random, --model and --shape exclude each other");
        var options = new TalariaBench.Options(promptTokens, tokens, reps);
        Path dir = model != null ? model : shape != null ? BenchModels.cachedShape(shape) : DemoCommand.bundled();
        ModelFiles files = random ? null : ModelFiles.open(dir);
        try {
            ModelConfig config = files == null ? BenchModels.small() : files.config();
            Weights weights = files == null ? BenchModels.random(config, 7) : files.weights();
            String name = files == null
                    ? "random Qwen2-shaped, 4.2M parameters"
                    : shape != null
                            ? shape + " shape, random BF16 weights"
                            : dir.getFileName().toString();
            var bench = new TalariaBench(config, weights, name, options);
            var report = bench.run(
                    TalariaBench.withNetworkDelays(TalariaBench.settings(settings), netDelays),
                    cold,
                    results.commandLine(),
                    results.err());
            Path md = TalariaBench.write(report, results.dir);
            results.print(Files.readString(md) + "written: " + md + " (and .json)" + System.lineSeparator());
        } finally {
            if (files != null) files.close();
        }
        return 0;
    }
}
