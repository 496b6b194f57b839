package dev.veil.http;

import java.time.Duration;

/**
 * What a client may cost an {@link HttpService}.
 *
 * @param requestTimeout a request's head and body must arrive within this from its first byte; a slow or stalled
 *                       client (a byte a second) is cut off
 * @param idleTimeout    a connection with no request in flight (before its first byte, between requests) is closed
 *                       after this long
 * @param maxConnections open connections at most; a connection beyond them is closed at once
 * @param maxHeadBytes   the request line and the headers, each at most this long (431 beyond)
 */
public record HttpLimits(Duration requestTimeout, Duration idleTimeout, int maxConnections, int maxHeadBytes) {

    public HttpLimits {
        if (requestTimeout.isNegative() || requestTimeout.isZero())
            throw new IllegalArgumentException("the request timeout must be positive");
        if (idleTimeout.isNegative() || idleTimeout.isZero())
            throw new IllegalArgumentException("the idle timeout must be positive");
        if (maxConnections < 1)
            throw new IllegalArgumentException("max connections must be >= 1, got " + maxConnections);
        if (maxHeadBytes < 1024)
            throw new IllegalArgumentException("max head bytes must be >= 1024, got " + maxHeadBytes);
    }

    /** 30 s to send a request, 30 s idle, 1024 connections, 16 KiB of head. */
    public static HttpLimits defaults() {
        return new HttpLimits(Duration.ofSeconds(30), Duration.ofSeconds(30), 1024, 16 << 10);
    }

    public HttpLimits withTimeouts(Duration request, Duration idle) {
        return new HttpLimits(request, idle, maxConnections, maxHeadBytes);
    }

    public HttpLimits withMaxConnections(int n) {
        return new HttpLimits(requestTimeout, idleTimeout, n, maxHeadBytes);
    }
}
