package dev.veil.gateway;

/**
 * One running generation, pulled token by token by the gateway's request thread. {@link #close()} before the end
 * cancels it upstream (the app went away, or a stop string matched).
 */
public interface PrivateStream extends AutoCloseable {

    /** Why generation ended. */
    enum Finish {
        /** A stop id (EOS) was generated. */
        STOP,
        /** {@code maxTokens} ids, or the context, ran out. */
        LENGTH
    }

    /** Blocks for the next plaintext id; -1 once generation has ended (then {@link #finish()} says why). */
    int next() throws UpstreamException;

    /** Why generation ended; null while it runs. */
    Finish finish();

    /** What the untrusted side has received and returned so far in this generation. */
    UntrustedView untrustedView();

    /** Cancels the generation if it is still running; idempotent. */
    @Override
    void close();
}
