package dev.veil.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The results directory every {@code veil bench} command writes its report to (one option, one default), and what each
 * report carries of the command that wrote it: its command line, its summary printed to the command's output.
 */
final class ResultsOption {

    @Option(
            names = "--out",
            defaultValue = "bench/results",
            paramLabel = "DIR",
            description = "results directory (default: ${DEFAULT-VALUE})")
    Path dir;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** The command as typed, {@code veil bench ...}: a report names the command that reproduces it. */
    String commandLine() {
        return "veil "
                + String.join(" ", command.root().commandLine().getParseResult().originalArgs());
    }

    /** Prints {@code text} (a report's summary) to the command's output. */
    void print(String text) {
        PrintWriter out = command.commandLine().getOut();
        out.print(text);
        out.flush();
    }

    PrintWriter err() {
        return command.commandLine().getErr();
    }
}
