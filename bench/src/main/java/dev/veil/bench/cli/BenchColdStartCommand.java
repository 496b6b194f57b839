package dev.veil.bench.cli;

import dev.veil.bench.ColdStartBench;
import dev.veil.bench.LlamaCpp;
import dev.veil.model.VeilCache;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil bench cold-start}: a fresh {@code veil generate} against a fresh llama.cpp, spawn to first token. */
@Command(
        name = "cold-start",
        description = {
            "Process spawn to the first token (or the first N): `./veil generate --max-tokens N` against llama.cpp",
            "(node-llama-cpp's prebuilt build) on the same GGUF, prompt ids and threads, alternating in each",
            "repetition; writes cold-start-<time>.{json,md} with the medians and Veil's ratio to llama.cpp."
        })
final class BenchColdStartCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "GGUF", description = "the GGUF file both engines load")
    Path gguf;

    @Option(
            names = "--prompt",
            defaultValue = "The quick brown fox jumps over the lazy dog while the cat sleeps",
            description = "the prompt (default: ${DEFAULT-VALUE})")
    String prompt;

    @Option(
            names = "--threads",
            defaultValue = "2",
            description = "threads for both engines (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(
            names = "--reps",
            defaultValue = "5",
            description = "repetitions of each subject (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(
            names = "--tokens",
            defaultValue = "1",
            paramLabel = "N",
            description = "time to the N-th generated token, greedy (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(
            names = "--variant",
            paramLabel = "NAME=JVM_OPTIONS",
            description = "also measure Veil with these extra JVM options (VEIL_JAVA_OPTS), under NAME (repeatable)")
    List<String> variants = List.of();

    @Mixin
    ResultsOption results;

    @Override
    public Integer call() throws Exception {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("veil", "");
        for (String s : variants) {
            int eq = s.indexOf('=');
            if (eq < 1) throw new IllegalArgumentException("--variant must be NAME=JVM_OPTIONS, got '" + s + "'");
            v.put(s.substring(0, eq), s.substring(eq + 1));
        }
        var settings = new ColdStartBench.Settings(gguf, prompt, threads, reps, tokens, v);
        Path home = Path.of(System.getProperty("veil.home", "."));
        var report = new ColdStartBench(home, LlamaCpp.locate(VeilCache.dir()), System.err)
                .run(settings, results.commandLine());
        Path md = ColdStartBench.write(report, home.resolve(results.dir));
        results.print(ColdStartBench.markdown(report) + "written: " + md + System.lineSeparator());
        return 0;
    }
}
