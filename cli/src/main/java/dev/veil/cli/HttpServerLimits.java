package dev.veil.cli;

import dev.veil.http.HttpLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Timeouts and the connection cap of the HTTP layer that {@code veil serve} and {@code veil gateway} run on. */
public final class HttpServerLimits {

    @Option(
            names = "--request-timeout",
            defaultValue = "30",
            paramLabel = "SECONDS",
            description =
                    "longest time a client may take to send a request's head and body; a slow or stalled one is cut off (default: ${DEFAULT-VALUE})")
    long requestTimeout;

    @Option(
            names = "--idle-timeout",
            defaultValue = "30",
            paramLabel = "SECONDS",
            description =
                    "a connection with no request in flight is closed after this long (default: ${DEFAULT-VALUE})")
    long idleTimeout;

    @Option(
            names = "--max-connections",
            defaultValue = "1024",
            paramLabel = "N",
            description = "open connections at most; more are closed at once (default: ${DEFAULT-VALUE})")
    int maxConnections;

    HttpLimits limits() {
        if (requestTimeout < 1 || idleTimeout < 1 || maxConnections < 1)
            throw new IllegalArgumentException("--request-timeout, --idle-timeout and --max-connections must be >= 1");
        return HttpLimits.defaults()
                .withTimeouts(Duration.ofSeconds(requestTimeout), Duration.ofSeconds(idleTimeout))
                .withMaxConnections(maxConnections);
    }
}
