package dev.veil.bench.cli;

import dev.veil.bench.GatewayOverheadBench;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil bench gateway}: the AloePri gateway's overhead per streamed token. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Gateway overhead per streamed token (target < 0.2 ms), against a stub upstream; writes gateway-overhead.{json,md}.")
final class BenchGatewayCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "a tokenizer directory (tokenizer.json)")
    Path tokenizer;

    @Option(names = "--tokens", defaultValue = "2000", description = "tokens per stream (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--runs", defaultValue = "9", description = "measured runs, median reported (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--out", defaultValue = "bench/results", paramLabel = "DIR", description = "results directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws Exception {
        var r = GatewayOverheadBench.run(tokenizer, tokens, runs);
        GatewayOverheadBench.write(out, r);
        return 0;
    }
}
