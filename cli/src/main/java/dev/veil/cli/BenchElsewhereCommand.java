package dev.veil.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The benchmarks and their anchors (Jlama, the llama.cpp runner) are not in the product jar; they ship as
 * bench/target/veil-bench.jar, which {@code ./veil bench ...} runs. This entry only says so.
 */
@Command(
        name = "bench",
        description = "benchmarks against named anchors (llama.cpp, Jlama): run ./veil bench ... "
                + "(bench/target/veil-bench.jar); not part of the product jar")
final class BenchElsewhereCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", hidden = true)
    List<String> ignored;

    @Override
    public Integer call() {
        throw new IllegalArgumentException(
                "bench is not in veil.jar: run ./veil bench ... (it uses bench/target/veil-bench.jar)");
    }
}
