package dev.veil.engine;

/** Streaming: called with each generated token id as soon as it is sampled (the stop token included). */
@FunctionalInterface
public interface TokenListener {

    void onToken(int tokenId);

    TokenListener NONE = id -> {};
}
