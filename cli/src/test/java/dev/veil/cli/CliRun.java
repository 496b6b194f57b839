package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One run of the command line, as a user would see it: the exit code and what it printed. The CLI's tests and the
 * bench jar's ({@code veil-cli}'s test-jar) use it.
 */
public record CliRun(int exit, String out, String err) {

    /** {@code veil ARGS}. */
    public static CliRun run(String... args) {
        return run(new Main(), args);
    }

    /** {@code veil ARGS}, which must exit 0 (what it printed to stderr is the failure message). */
    public static CliRun ok(String... args) {
        CliRun r = run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        return r;
    }

    /** {@code ARGS} against another root command (veil-bench.jar's), with the CLI's error handling. */
    public static CliRun run(Object root, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.run(root, args);
            return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
