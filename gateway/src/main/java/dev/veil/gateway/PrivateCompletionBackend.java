package dev.veil.gateway;

/**
 * How the gateway reaches the model without showing it plaintext: given plaintext prompt ids, it streams plaintext
 * ids back, and records what the untrusted side saw. AloePri maps ids through the secret permutation to an untrusted
 * token server ({@link AloePriBackend}); Talaria runs the forward pass locally with masked weight products on the
 * cloud. Implementations are thread-safe: each {@link #open} is one independent generation.
 */
public interface PrivateCompletionBackend extends AutoCloseable {

    /** {@code "aloepri"} or {@code "talaria"}: shown on the chat page and in {@code /v1/models}. */
    String mode();

    /** The model's context length, if the backend knows it (bounds the default {@code max_tokens}). */
    int contextLength();

    /** Starts one generation. Fails with {@link UpstreamException} when the untrusted side refuses or is unreachable. */
    PrivateStream open(PrivateRequest request) throws UpstreamException;

    @Override
    default void close() {}
}
