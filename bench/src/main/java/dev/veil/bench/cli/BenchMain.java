package dev.veil.bench.cli;

import dev.veil.cli.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * Entry point of veil-bench.jar, which {@code ./veil bench ...} runs: the product jar (cli/target/veil.jar) carries
 * neither the benchmarks nor their anchors (Jlama, the llama.cpp runner). Every {@code bench} command inherits
 * {@code -h/--help} and {@code -V/--version} from here.
 */
@Command(name = "veil", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, subcommands = BenchCommand.class)
public final class BenchMain {
    public static void main(String[] args) {
        System.exit(Main.run(new BenchMain(), args));
    }
}
