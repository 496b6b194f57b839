package dev.veil.server;

/** What the scheduler tells a request's handler about one of its sequences (choices). */
sealed interface SequenceEvent {

    int choice();

    /**
     * A generated id; {@code finish} is non-null when it is the sequence's last.
     */
    record Token(int choice, int id, Finish finish) implements SequenceEvent {}

    /** The sequence ended without finishing (the server is shutting down, or the forward pass failed). */
    record Failed(int choice, ApiException error) implements SequenceEvent {}

    /** The client went away: its sequences are cancelled, and the handler waiting on their events stops. */
    record ClientGone(int choice) implements SequenceEvent {}

    /**
     * Why a sequence ended, in vLLM's terms.
     *
     * @param reason     {@code "stop"} (an EOS or stop token) or {@code "length"} (max_tokens or the context)
     * @param stopReason the id from {@code stop_token_ids} that stopped it, or null
     */
    record Finish(String reason, Integer stopReason) {}
}
