package dev.veil.server;

import dev.veil.engine.KvCache;
import dev.veil.engine.Sampler;
import dev.veil.engine.SamplingParams;
import java.util.Set;
import java.util.concurrent.BlockingQueue;

/**
 * One prompt's generation as the scheduler runs it: its own KV cache and sampler, how far its prompt has been run, and
 * where its tokens go. Only the scheduler thread touches the state; {@link #cancel()} may come from any thread.
 */
final class Sequence {

    final int choice;
    final int[] prompt;
    final int maxTokens;
    final Sampler sampler;
    final Set<Integer> stopTokenIds;
    final Set<Integer> eosIds;
    final BlockingQueue<SequenceEvent> events;
    final long submittedNanos = System.nanoTime();

    KvCache cache;
    int prefilled;
    volatile int generated; // read by cancel() on another thread
    int lastToken;
    long firstTokenNanos;
    private volatile boolean cancelled;
    private volatile int generatedAtCancel;

    /** @param eosIds the model's end-of-sequence ids, empty when the request said ignore_eos */
    Sequence(
            int choice,
            int[] prompt,
            int maxTokens,
            SamplingParams sampling,
            Set<Integer> stopTokenIds,
            Set<Integer> eosIds,
            BlockingQueue<SequenceEvent> events) {
        this.choice = choice;
        this.prompt = prompt;
        this.maxTokens = maxTokens;
        this.sampler = new Sampler(sampling, prompt);
        this.stopTokenIds = stopTokenIds;
        this.eosIds = eosIds;
        this.events = events;
    }

    boolean prefilling() {
        return prefilled < prompt.length;
    }

    /** The client is gone or gave up: the scheduler drops the sequence at its next pass. */
    void cancel() {
        if (cancelled) return;
        generatedAtCancel = generated;
        cancelled = true;
    }

    /** Tokens generated since {@link #cancel()}: 0, or 1 when a pass was under way (what "within one step" means). */
    int generatedSinceCancel() {
        return generated - generatedAtCancel;
    }

    boolean cancelled() {
        return cancelled;
    }

    /** Whether {@code token}, just generated, ends the sequence, and why. */
    SequenceEvent.Finish finishAfter(int token) {
        if (stopTokenIds.contains(token)) return new SequenceEvent.Finish("stop", token);
        if (eosIds.contains(token)) return new SequenceEvent.Finish("stop", null);
        if (generated >= maxTokens || cache.remaining() == 0) return new SequenceEvent.Finish("length", null);
        return null;
    }
}
