package dev.veil.bench.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The results directory every {@code veil bench} command writes its report to: one option, one default. */
final class ResultsOption {

    @Option(
            names = "--out",
            defaultValue = "bench/results",
            paramLabel = "DIR",
            description = "results directory (default: ${DEFAULT-VALUE})")
    Path dir;
}
