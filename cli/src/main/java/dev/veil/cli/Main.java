package dev.veil.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * The {@code veil} command. Each subcommand is one small class in this package; they inherit {@code -h/--help} and
 * {@code -V/--version} from here ({@link ScopeType#INHERIT}).
 */
@Command(
        name = "veil",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        version = "veil 0.1.0",
        description =
                "Confidential LLM inference: Talaria (split inference, ReMO masking) and AloePri (covariant obfuscation).",
        subcommands = {
            CommandLine.HelpCommand.class,
            DemoCommand.class,
            GenerateCommand.class,
            EvalCommand.class,
            InspectCommand.class,
            ConvertCommand.class,
            ObfuscateCommand.class,
            KeyCommand.class,
            ExperimentCommand.class,
            BenchElsewhereCommand.class,
            TalariaCommand.class,
            ServeCommand.class,
            GatewayCommand.class,
            DataCommand.class,
            TrainCommand.class,
            AuditCommand.class,
        })
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI; user errors print one clear line (no stack trace) and exit non-zero. */
    public static int run(String... args) {
        return run(new Main(), args);
    }

    /** The same error handling for another root command (the bench jar's). */
    public static int run(Object root, String... args) {
        CommandLine cl = new CommandLine(root);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("veil: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("VEIL_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }
}
