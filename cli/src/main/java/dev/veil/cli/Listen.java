package dev.veil.cli;

import picocli.CommandLine.Option;

/**
 * {@code --host} and {@code --port} of the services that listen on loopback unless told otherwise ({@code serve},
 * {@code gateway}, {@code talaria cloud}). Each service has its own default port: the mixin's initial value
 * ({@code @Mixin Listen listen = new Listen(8000)}), which picocli shows as the default.
 */
final class Listen {

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    Listen(int defaultPort) {
        port = defaultPort;
    }
}
