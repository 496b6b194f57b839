package dev.veil.cli;

import picocli.CommandLine.Option;

/**
 * Timeouts and the connection cap of the JDK HTTP server that {@code veil serve} and {@code veil gateway} run on. The
 * JDK reads them once per process from system properties, so they are set here, before the first server starts; a
 * {@code -D} given on the command line (VEIL_JAVA_OPTS) wins.
 */
public final class HttpServerLimits {

    @Option(names = "--request-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "longest time a client may take to send a request's head and body; a slow or stalled one is cut off (default: ${DEFAULT-VALUE})")
    long requestTimeout;

    @Option(names = "--idle-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "a connection with no request in flight is closed after this long (default: ${DEFAULT-VALUE})")
    long idleTimeout;

    @Option(names = "--max-connections", defaultValue = "1024", paramLabel = "N",
            description = "open connections at most; more are closed at once (default: ${DEFAULT-VALUE})")
    int maxConnections;

    void apply() {
        if (requestTimeout < 1 || idleTimeout < 1 || maxConnections < 1)
            throw new IllegalArgumentException("--request-timeout, --idle-timeout and --max-connections must be >= 1");
        set("sun.net.httpserver.maxReqTime", requestTimeout); // head and body, until the handler has read it
        set("sun.net.httpserver.idleInterval", idleTimeout); // idle keep-alive, and accepted connections that send nothing
        set("sun.net.httpserver.clockTick", Math.min(10, idleTimeout) * 1000); // how often idle connections are checked
        set("jdk.httpserver.maxConnections", maxConnections);
    }

    private static void set(String property, long value) {
        if (System.getProperty(property) == null) System.setProperty(property, Long.toString(value));
    }
}
