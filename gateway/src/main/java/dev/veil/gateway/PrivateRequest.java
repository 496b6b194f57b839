package dev.veil.gateway;

import dev.veil.engine.SamplingParams;
import java.util.Set;

/**
 * One generation in plaintext terms.
 *
 * @param promptIds    the tokenized prompt (chat template applied)
 * @param maxTokens    the most ids to generate
 * @param sampling     temperature, top-k, top-p, min-p, penalties and seed
 * @param seeded       whether the app gave the seed (otherwise the upstream may pick its own)
 * @param stopTokenIds plaintext ids that end generation (the tokenizer's EOS ids)
 */
public record PrivateRequest(
        int[] promptIds, int maxTokens, SamplingParams sampling, boolean seeded, Set<Integer> stopTokenIds) {

    public PrivateRequest {
        if (promptIds.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        promptIds = promptIds.clone();
        stopTokenIds = Set.copyOf(stopTokenIds);
    }
}
