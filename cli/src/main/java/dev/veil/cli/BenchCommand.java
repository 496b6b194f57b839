package dev.veil.cli;

import picocli.CommandLine.Command;

/** {@code veil bench}: benchmarks that write JSON + markdown results (each subcommand is its own class). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark and write its results file.",
        subcommands = {BenchGatewayCommand.class, BenchServerCommand.class, AloePriBenchCommand.class})
final class BenchCommand {}
