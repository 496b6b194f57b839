package dev.veil.cli;

import picocli.CommandLine.Option;

/** {@code --host} of the services that listen on loopback unless told otherwise ({@code serve}, {@code gateway}, {@code talaria cloud}). */
final class ListenHost {

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;
}
