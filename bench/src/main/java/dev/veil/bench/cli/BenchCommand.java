package dev.veil.bench.cli;

import dev.veil.bench.BenchModel;
import dev.veil.bench.BenchTable;
import dev.veil.bench.EngineBench;
import dev.veil.bench.LlamaCpp;
import dev.veil.model.DType;
import dev.veil.model.VeilCache;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil bench ...}: benchmarks that run Veil and its anchors side by side in one run. */
@Command(
        name = "bench",
        description = "Benchmarks against named anchors in the same run; results as JSON + markdown.",
        subcommands = {
            BenchGatewayCommand.class,
            BenchServerCommand.class,
            AloePriBenchCommand.class,
            TalariaBenchCommand.class,
            BenchTrainCommand.class,
            BenchColdStartCommand.class
        })
public final class BenchCommand {
    @Command(
            name = "engine",
            description = {
                "Veil vs llama.cpp (same weights as GGUF, same precision and threads) vs Jlama: prefill and decode "
                        + "tokens/s at a short and a long context, and the memory-bandwidth bound measured in the same run.",
                "Without --model, benchmarks a generated ~200M-parameter random model in BF16 and in F32 (cached); "
                        + "with --moe, a generated Qwen3-MoE model instead.",
                "With --quant, the model(s) (default: the F32 one) quantized by Veil instead, both engines running the same GGUF."
            })
    int engine(
            @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model directory (repeatable)")
                    List<Path> models,
            @Option(
                            names = "--threads",
                            paramLabel = "N[,N..]",
                            split = ",",
                            description = "threads for every engine; several: each model at each (default: all cores)")
                    List<Integer> threads,
            @Option(
                            names = "--quant",
                            paramLabel = "q8_0|q4_k",
                            split = ",",
                            description = "benchmark Veil's Q8_0 / Q4_K_M GGUF of each model instead (comma-separated)")
                    List<String> quant,
            @Mixin ResultsOption results,
            @Option(
                            names = "--short",
                            paramLabel = "TOKENS",
                            defaultValue = "16",
                            description = "short prompt length (default: ${DEFAULT-VALUE})")
                    int shortContext,
            @Option(
                            names = "--long",
                            paramLabel = "TOKENS",
                            defaultValue = "512",
                            description = "long prompt length (default: ${DEFAULT-VALUE})")
                    int longContext,
            @Option(
                            names = "--decode",
                            paramLabel = "TOKENS",
                            defaultValue = "32",
                            description = "tokens decoded after the prompt (default: ${DEFAULT-VALUE})")
                    int decode,
            @Option(
                            names = "--repeats",
                            paramLabel = "N",
                            defaultValue = "5",
                            description = "best of N runs (default: ${DEFAULT-VALUE})")
                    int repeats,
            @Option(names = "--no-jlama", description = "leave Jlama out") boolean noJlama,
            @Option(
                            names = "--moe",
                            description =
                                    "without --model: the generated Qwen3-MoE model (~700M parameters, 32 experts,"
                                            + " top-4) instead of the dense one")
                    boolean moe)
            throws Exception {
        if (shortContext < 1 || longContext < shortContext)
            throw new IllegalArgumentException(
                    "--short must be >= 1 and --long >= --short (got " + shortContext + ", " + longContext + ")");
        if (decode < 1 || repeats < 1) throw new IllegalArgumentException("--decode and --repeats must be >= 1");
        List<Integer> n = threads != null && !threads.isEmpty()
                ? threads
                : List.of(Runtime.getRuntime().availableProcessors());
        for (int t : n) if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        List<DType> quantTypes = quant == null
                ? null
                : quant.stream()
                        .map(q -> switch (q.toLowerCase(Locale.ROOT)) {
                            case "q8_0" -> DType.Q8_0;
                            case "q4_k", "q4_k_m" -> DType.Q4_K;
                            default ->
                                throw new IllegalArgumentException(
                                        "unsupported --quant '" + q + "' (use q8_0 or q4_k)");
                        })
                        .toList();
        PrintStream log = System.err;
        LlamaCpp llamaCpp = LlamaCpp.locate(VeilCache.dir());
        List<BenchModel> targets = new ArrayList<>();
        if (models == null || models.isEmpty()) {
            for (DType d : quantTypes != null ? List.of(DType.F32) : List.of(DType.BF16, DType.F32)) {
                log.println("bench: preparing the default " + d + " model in "
                        + VeilCache.dir().resolve("bench"));
                targets.add(
                        moe
                                ? BenchModel.defaultMoeModel(VeilCache.dir(), d)
                                : BenchModel.defaultModel(VeilCache.dir(), d));
            }
        } else {
            for (Path m : models) targets.add(BenchModel.of(m));
        }
        if (quantTypes != null) {
            List<BenchModel> quantized = new ArrayList<>();
            for (BenchModel m : targets)
                for (DType d : quantTypes) {
                    log.println("bench: quantizing " + m.name() + " to " + d);
                    quantized.add(BenchModel.quantized(m, d));
                }
            targets = quantized;
        }
        var settings = new EngineBench.Settings(n, shortContext, longContext, decode, repeats, !noJlama);
        EngineBench.Report report =
                new EngineBench(settings, llamaCpp, log).run(targets, results.dir, results.commandLine());
        results.print(BenchTable.markdown(report));
        return 0;
    }
}
