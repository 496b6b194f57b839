package dev.veil.talaria.client;

/**
 * The cloud returned a product that is not {@code z·Wᵀ + b} for the weights the setup authority vouched for: the
 * Freivalds check on the reply failed. Generation stops instead of using the wrong result.
 */
public final class IntegrityException extends TalariaException {
    public IntegrityException(String message) {
        super(message);
    }
}
