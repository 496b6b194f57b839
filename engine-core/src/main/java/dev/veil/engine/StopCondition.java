package dev.veil.engine;

/**
 * Decides after each generated token whether generation ends there (e.g. the tokenizer's stop-string detector, which
 * watches the decoded text). Called once per token, in order, after the {@link TokenListener}.
 */
@FunctionalInterface
public interface StopCondition {

    /** True to stop after {@code tokenId} (which stays in the output). */
    boolean shouldStop(int tokenId);

    StopCondition NEVER = id -> false;
}
