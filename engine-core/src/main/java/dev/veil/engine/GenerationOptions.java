package dev.veil.engine;

import java.util.Set;

/**
 * @param maxTokens      the most tokens to generate
 * @param sampling       how to pick tokens
 * @param stopTokenIds   ids that end generation (the model's EOS ids, usually)
 * @param prefillChunk   the prompt runs through the model this many tokens at a time
 */
public record GenerationOptions(int maxTokens, SamplingParams sampling, Set<Integer> stopTokenIds, int prefillChunk) {

    public static final int DEFAULT_PREFILL_CHUNK = 256;

    public GenerationOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        if (prefillChunk < 1) throw new IllegalArgumentException("prefill chunk must be >= 1, got " + prefillChunk);
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    public GenerationOptions(int maxTokens, SamplingParams sampling, Set<Integer> stopTokenIds) {
        this(maxTokens, sampling, stopTokenIds, DEFAULT_PREFILL_CHUNK);
    }
}
