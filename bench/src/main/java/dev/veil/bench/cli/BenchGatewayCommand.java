package dev.veil.bench.cli;

import dev.veil.bench.GatewayOverheadBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil bench gateway}: the AloePri gateway's overhead per streamed token. */
@Command(
        name = "gateway",
        description = {
            "Gateway overhead per streamed token (target < 0.2 ms), against a stub upstream; writes gateway-overhead.{json,md}.",
            "With --llama-server: also tokens/s and the gateway's added latency per token against stock llama-server",
            "(scripts/build-llama.sh) generating for real; writes gateway-llama-server.{json,md}."
        })
final class BenchGatewayCommand implements Callable<Integer> {

    @Option(
            names = "--tokenizer",
            required = true,
            paramLabel = "DIR",
            description = "a tokenizer directory (tokenizer.json)")
    Path tokenizer;

    @Option(names = "--tokens", defaultValue = "2000", description = "tokens per stream (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(
            names = "--runs",
            defaultValue = "9",
            description = "measured runs, median reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(
            names = "--llama-server",
            description = "also measure against stock llama-server on an obfuscated random model")
    boolean llamaServer;

    @Option(
            names = "--llama-tokens",
            defaultValue = "256",
            description = "tokens per stream against llama-server (default: ${DEFAULT-VALUE})")
    int llamaTokens;

    @Option(
            names = "--llama-hidden",
            defaultValue = "256",
            description = "hidden size of the random model llama-server runs (default: ${DEFAULT-VALUE})")
    int llamaHidden;

    @Option(
            names = "--llama-threads",
            defaultValue = "1",
            description = "llama-server's threads (default: ${DEFAULT-VALUE})")
    int llamaThreads;

    @Mixin
    ResultsOption results;

    @Override
    public Integer call() throws Exception {
        var r = GatewayOverheadBench.run(tokenizer, tokens, runs);
        GatewayOverheadBench.write(results.dir, r);
        if (llamaServer) {
            Path work = Files.createTempDirectory("veil-bench-llama");
            try {
                GatewayOverheadBench.write(
                        results.dir,
                        GatewayOverheadBench.runLlamaServer(
                                tokenizer, llamaTokens, runs, llamaHidden, llamaThreads, work));
            } finally {
                try (var files = Files.walk(work)) {
                    files.sorted(Comparator.reverseOrder())
                            .forEach(f -> f.toFile().delete());
                }
            }
        }
        return 0;
    }
}
