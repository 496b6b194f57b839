package dev.veil.bench.cli;

import dev.veil.bench.BenchModel;
import dev.veil.bench.aloepri.AloePriBench;
import dev.veil.model.DType;
import dev.veil.model.VeilCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil bench aloepri}: obfuscation time per parameter and obfuscated vs plain decode speed, in one run. */
@Command(
        name = "aloepri",
        description = {
            "Benchmark AloePri on Veil's engine: time of `veil obfuscate` (defaults) per billion parameters, and",
            "decode speed of the obfuscated model against the plain one (alternating runs, best of N).",
            "Writes aloepri-<date>.json and .md."
        })
final class AloePriBenchCommand implements Callable<Integer> {

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description =
                    "plain HF model directory (default: the ~200M-parameter random Llama bench model, generated once in the cache)")
    Path model;

    @Option(
            names = "--prompt-tokens",
            defaultValue = "64",
            description = "prompt length before decoding (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(
            names = "--decode-tokens",
            defaultValue = "16",
            description = "tokens decoded per run (default: ${DEFAULT-VALUE})")
    int decodeTokens;

    @Option(
            names = "--repeats",
            defaultValue = "15",
            description =
                    "decode runs per model (short, alternating: the best of many survives a shared machine), best of (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(
            names = "--obfuscations",
            defaultValue = "2",
            description = "obfuscation runs, best of (default: ${DEFAULT-VALUE})")
    int obfuscations;

    @Option(
            names = "--work",
            paramLabel = "DIR",
            description = "where the obfuscated copies are written and removed (default: the system temp dir)")
    Path work;

    @Mixin
    ResultsOption results;

    @Override
    public Integer call() throws Exception {
        BenchModel m = model != null ? BenchModel.of(model) : BenchModel.defaultModel(VeilCache.dir(), DType.F32);
        String cmd = "veil bench aloepri" + (model == null ? "" : " --model " + model) + " --prompt-tokens "
                + promptTokens + " --decode-tokens " + decodeTokens + " --repeats " + repeats + " --obfuscations "
                + obfuscations;
        var bench = new AloePriBench(
                new AloePriBench.Settings(promptTokens, decodeTokens, repeats, obfuscations), System.out);
        var report = bench.run(m, work != null ? work : Path.of(System.getProperty("java.io.tmpdir")), cmd);
        Path md = AloePriBench.write(report, results.dir);
        System.out.print(Files.readString(md));
        System.out.println("written: " + md + " (and .json)");
        return 0;
    }
}
