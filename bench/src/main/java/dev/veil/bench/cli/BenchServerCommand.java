package dev.veil.bench.cli;

import dev.veil.bench.ServerThroughputBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil bench server}: the untrusted server's throughput at several concurrencies, relative to sequential. */
@Command(
        name = "server",
        description =
                "Server throughput at concurrency 1/8/32 relative to sequential (continuous batching); writes server-throughput.{json,md}.")
final class BenchServerCommand implements Callable<Integer> {

    @Option(
            names = "--requests",
            defaultValue = "32",
            description = "requests per concurrency level (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(
            names = "--max-tokens",
            defaultValue = "32",
            description = "generated tokens per request (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Mixin
    ResultsOption results;

    @Override
    public Integer call() throws Exception {
        var r = ServerThroughputBench.run(new int[] {1, 8, 32}, requests, 16, maxTokens);
        ServerThroughputBench.write(results.dir, r);
        return 0;
    }
}
