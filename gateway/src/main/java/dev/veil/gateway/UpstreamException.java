package dev.veil.gateway;

/**
 * The untrusted side failed a generation: it refused the request, was unreachable, timed out, or broke off
 * mid-stream. {@link #status()} is the HTTP status the app gets (400 for a request the upstream judged invalid, 429 or
 * 503 passed through, 502 otherwise, 504 for a timeout).
 */
public final class UpstreamException extends Exception {

    private final int status;

    public UpstreamException(int status, String message) {
        super(message);
        this.status = status;
    }

    public UpstreamException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
