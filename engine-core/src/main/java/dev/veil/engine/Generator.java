package dev.veil.engine;

import dev.veil.engine.Generation.FinishReason;
import java.util.Arrays;

/**
 * Prompt in, tokens out: prefills the prompt in chunks, then samples and decodes one token at a time until an
 * end-of-sequence id, the stop condition, the token limit or the end of the context.
 */
public final class Generator {

    private final Transformer model;

    public Generator(Transformer model) {
        this.model = model;
    }

    public Generation generate(int[] prompt, GenerationOptions options) {
        return generate(prompt, options, TokenListener.NONE, StopCondition.NEVER);
    }

    /** Generates into a fresh cache holding the model's whole context. */
    public Generation generate(int[] prompt, GenerationOptions options, TokenListener listener, StopCondition stop) {
        return generate(prompt, model.newCache(), options, listener, stop);
    }

    /**
     * Generates after whatever {@code cache} already holds (a shared prefix, an earlier turn). The repetition penalty
     * counts {@code prompt} and the output, not what the cache held before.
     */
    public Generation generate(
            int[] prompt, KvCache cache, GenerationOptions options, TokenListener listener, StopCondition stop) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (prompt.length > cache.remaining())
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context length "
                    + cache.capacity() + (cache.size() > 0 ? " (" + cache.size() + " positions already used)" : ""));
        Sampler sampler = new Sampler(options.sampling(), prompt);
        long t0 = System.nanoTime();
        float[] logits = prefill(prompt, cache, options.prefillChunk());
        int[] out = new int[Math.min(options.maxTokens(), 1024)];
        int count = 0;
        FinishReason reason = FinishReason.MAX_TOKENS;
        long t1 = 0;
        while (count < options.maxTokens()) {
            int token = sampler.sample(logits);
            if (count == out.length) out = Arrays.copyOf(out, Math.min(options.maxTokens(), 2 * out.length));
            out[count++] = token;
            if (count == 1) t1 = System.nanoTime();
            listener.onToken(token);
            if (options.stopTokenIds().contains(token)) {
                reason = FinishReason.EOS;
                break;
            }
            if (stop.shouldStop(token)) {
                reason = FinishReason.STOP_CONDITION;
                break;
            }
            if (count == options.maxTokens()) break;
            if (cache.remaining() == 0) {
                reason = FinishReason.CONTEXT_FULL;
                break;
            }
            logits = model.forward(new int[] {token}, cache);
        }
        long t2 = System.nanoTime();
        if (count == 0) t1 = t2;
        var timings = new Generation.Timings(prompt.length, t1 - t0, count, t2 - t1);
        return new Generation(prompt.clone(), Arrays.copyOf(out, count), reason, timings);
    }

    /** Runs the prompt in chunks of {@code chunk} tokens; returns the last token's logits. */
    private float[] prefill(int[] prompt, KvCache cache, int chunk) {
        int from = 0;
        for (; prompt.length - from > chunk; from += chunk)
            model.append(Arrays.copyOfRange(prompt, from, from + chunk), cache);
        return model.forward(Arrays.copyOfRange(prompt, from, prompt.length), cache);
    }
}
