package dev.veil.talaria.client;

/** A Talaria call that could not be completed correctly; the message says which product and why. */
public class TalariaException extends RuntimeException {
    public TalariaException(String message) {
        super(message);
    }

    public TalariaException(String message, Throwable cause) {
        super(message, cause);
    }
}
