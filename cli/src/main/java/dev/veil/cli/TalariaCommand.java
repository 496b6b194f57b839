package dev.veil.cli;

import picocli.CommandLine.Command;

/** {@code veil talaria}: split inference with ReMO masking (docs/talaria.md). */
@Command(
        name = "talaria",
        description =
                "Talaria: the cloud keeps the weights, the client keeps prompt and answer, ReMO masks what crosses.",
        subcommands = {TalariaCloudCommand.class, TalariaSetupCommand.class, TalariaRunCommand.class})
public final class TalariaCommand {}
