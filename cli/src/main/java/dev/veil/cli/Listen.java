package dev.veil.cli;

import picocli.CommandLine.Option;

/**
 * {@code --host} and {@code --port} of the services that listen on loopback unless told otherwise ({@code serve},
 * {@code gateway}, {@code talaria cloud}, {@code talaria setup}). The defaults are the fields' initial values, which picocli shows as the
 * default: loopback, and each service's own port ({@code @Mixin Listen listen = new Listen(8000)}).
 */
final class Listen {

    @Option(names = "--host", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    Listen(int defaultPort) {
        port = defaultPort;
    }
}
