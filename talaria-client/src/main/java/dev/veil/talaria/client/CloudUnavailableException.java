package dev.veil.talaria.client;

/** The cloud did not answer a call within the retry budget (down, restarting for too long, unreachable). */
public final class CloudUnavailableException extends TalariaException {
    public CloudUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
