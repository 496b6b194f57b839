package dev.veil.cli;

import dev.veil.bench.talaria.BenchModels;
import dev.veil.bench.talaria.TalariaBench;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.Weights;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veil talaria bench} (also meant as {@code veil bench talaria}): TTFT and TPOT of Talaria against the local
 * plain engine in one run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark Talaria (cloud + setup authority on loopback) against the local plain engine on the same weights: "
                + "TTFT, TPOT, bytes and round trips per token. Writes JSON and markdown.")
public final class TalariaBenchCommand implements Callable<Integer> {

    @Option(names = "--model", description = "Hugging Face model directory or .gguf (default: a random 4.2M-parameter Qwen2-shaped model)")
    Path model;

    @Option(names = "--prompt-tokens", defaultValue = "32", description = "prompt length (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--tokens", defaultValue = "32", description = "tokens generated per run (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--reps", defaultValue = "3", description = "runs per setting after a warm-up; medians reported (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--out", defaultValue = "bench/results", description = "results directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ModelFiles files = model == null ? null : ModelFiles.open(model);
        try {
            ModelConfig config = files == null ? BenchModels.small() : files.config();
            Weights weights = files == null ? BenchModels.random(config, 7) : files.weights();
            TalariaBench bench = new TalariaBench(config, weights, new TalariaBench.Options(promptTokens, tokens, reps));
            var results = bench.run(TalariaBench.defaultSettings(), spec.commandLine().getErr());
            String cmd = "veil talaria bench" + (model == null ? "" : " --model " + model) + " --prompt-tokens " + promptTokens
                    + " --tokens " + tokens + " --reps " + reps;
            Path md = bench.write(results, out, cmd);
            spec.commandLine().getOut().print(java.nio.file.Files.readString(md));
            spec.commandLine().getOut().println("written: " + md + " (and .json)");
            spec.commandLine().getOut().flush();
        } finally {
            if (files != null) files.close();
        }
        return 0;
    }
}
