package dev.veil.server;

import dev.veil.engine.Transformer;
import dev.veil.engine.Transformer.Chunk;
import dev.veil.engine.Transformer.Logits;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching on one thread. Each pass gathers the next step of every running sequence — one token for a
 * sequence that is decoding, a prompt chunk for one that is being prefilled — into one
 * {@link Transformer#forward(List) batched forward pass}, so all running sequences share one read of the weights.
 * Sequences join the batch between passes as slots free up and leave it as soon as they finish or are cancelled.
 *
 * <p>Admission is bounded: at most {@code maxRunning} sequences run and {@code maxWaiting} wait; beyond that
 * {@link #submit} refuses with 429, and after {@link #stopAccepting()} with 503.
 */
final class Scheduler implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());

    private final Transformer model;
    private final int maxRunning;
    private final int maxWaiting;
    private final int prefillChunk;
    private final ServerMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition idle = lock.newCondition();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>(); // scheduler thread only
    private final Thread thread;
    private boolean accepting = true;
    private boolean closed;
    private int active; // waiting + running, under lock

    Scheduler(Transformer model, int maxRunning, int maxWaiting, int prefillChunk, ServerMetrics metrics) {
        this.model = model;
        this.maxRunning = maxRunning;
        this.maxWaiting = maxWaiting;
        this.prefillChunk = prefillChunk;
        this.metrics = metrics;
        this.thread = Thread.ofPlatform().name("veil-scheduler").daemon().start(this::loop);
    }

    /** Queues all of a request's sequences, or none: 429 when they do not fit, 503 when shutting down. */
    void submit(List<Sequence> sequences) throws ApiException {
        lock.lock();
        try {
            if (!accepting) throw new ApiException(503, "ServiceUnavailableError", "the server is shutting down", null);
            if (sequences.size() > maxRunning + maxWaiting) // waiting cannot help: not a rate limit
            throw ApiException.badRequest(
                        "the request has " + sequences.size() + " prompts; this server holds at most "
                                + (maxRunning + maxWaiting) + " sequences",
                        "prompt");
            int free = maxRunning + maxWaiting - active;
            if (sequences.size() > free)
                throw new ApiException(
                        429,
                        "RateLimitError",
                        "the server is busy: " + active + " sequences running or waiting, " + "room for "
                                + (maxRunning + maxWaiting) + "; retry later",
                        null);
            waiting.addAll(sequences);
            active += sequences.size();
            metrics.waiting.set(waiting.size());
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** New requests get 503 from now on; queued and running ones go on. */
    void stopAccepting() {
        lock.lock();
        try {
            accepting = false;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no sequence is waiting or running, at most {@code timeout}; true if it got there. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (active > 0 && !closed) {
                if (nanos <= 0) return false;
                nanos = idle.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the scheduler: every sequence still waiting or running fails with 503. */
    @Override
    public void close() {
        lock.lock();
        try {
            accepting = false;
            closed = true;
            work.signalAll();
            idle.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try {
            while (admit()) pass();
        } catch (RuntimeException | Error e) {
            LOG.log(
                    System.Logger.Level.ERROR,
                    "scheduler stopped by " + e.getClass().getSimpleName(),
                    e);
        } finally {
            List<Sequence> left = new ArrayList<>(running);
            lock.lock();
            try {
                accepting = false;
                closed = true;
                left.addAll(waiting);
                waiting.clear();
                active = 0;
                metrics.waiting.set(0);
                idle.signalAll();
            } finally {
                lock.unlock();
            }
            running.clear();
            metrics.running.set(0);
            var error = new ApiException(503, "ServiceUnavailableError", "the server is shutting down", null);
            for (Sequence s : left) s.events.add(new SequenceEvent.Failed(s.choice, error));
        }
    }

    /** Moves waiting sequences into free batch slots; blocks while there is nothing to run. False once closed. */
    private boolean admit() {
        lock.lock();
        try {
            while (!closed && running.isEmpty() && waiting.isEmpty()) work.awaitUninterruptibly();
            if (closed) return false;
            while (running.size() < maxRunning && !waiting.isEmpty()) {
                Sequence s = waiting.poll();
                if (s.cancelled()) {
                    retire(s);
                    metrics.cancelled(s.generatedSinceCancel());
                    continue;
                }
                s.cache = model.newCache();
                running.add(s);
            }
            metrics.waiting.set(waiting.size());
            metrics.running.set(running.size());
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** One batched forward pass over every running sequence that has work this pass. */
    private void pass() {
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.cancelled()) {
                it.remove();
                retireLocked(s);
                metrics.cancelled(s.generatedSinceCancel());
            }
        }
        metrics.running.set(running.size());

        List<Chunk> chunks = new ArrayList<>();
        List<Sequence> batch = new ArrayList<>();
        int[] prefilling = new int[running.size()];
        int budget = prefillChunk;
        for (Sequence s : running) {
            if (s.prefilling()) {
                if (budget == 0) continue;
                int n = Math.min(budget, s.prompt.length - s.prefilled);
                budget -= n;
                boolean completes = s.prefilled + n == s.prompt.length;
                prefilling[batch.size()] = n;
                chunks.add(new Chunk(
                        Arrays.copyOfRange(s.prompt, s.prefilled, s.prefilled + n),
                        s.cache,
                        completes ? Logits.LAST : Logits.NONE));
            } else {
                chunks.add(new Chunk(new int[] {s.lastToken}, s.cache, Logits.LAST));
            }
            batch.add(s);
        }
        if (batch.isEmpty()) return;

        long t0 = System.nanoTime();
        float[][] logits;
        try {
            logits = model.forward(chunks);
        } catch (RuntimeException e) {
            LOG.log(
                    System.Logger.Level.ERROR,
                    "a forward pass over " + batch.size() + " sequences failed: "
                            + e.getClass().getSimpleName());
            var error = new ApiException(500, "InternalServerError", "inference failed", null);
            for (Sequence s : batch) {
                s.events.add(new SequenceEvent.Failed(s.choice, error));
                running.remove(s);
                retireLocked(s);
            }
            return;
        }
        long t1 = System.nanoTime();
        metrics.batchSize.record(batch.size());
        ServerMetrics.observe(metrics.passSeconds, t1 - t0);

        for (int i = 0; i < batch.size(); i++) {
            Sequence s = batch.get(i);
            s.prefilled += prefilling[i];
            if (logits[i] == null) continue;
            int token = s.sampler.sample(logits[i]);
            s.generated++;
            s.lastToken = token;
            metrics.generatedToken();
            if (s.generated == 1) {
                s.firstTokenNanos = t1;
                ServerMetrics.observe(metrics.timeToFirstToken, t1 - s.submittedNanos);
            }
            SequenceEvent.Finish finish = s.finishAfter(token);
            s.events.add(new SequenceEvent.Token(s.choice, token, finish));
            if (finish != null) {
                ServerMetrics.observe(metrics.sequenceSeconds, t1 - s.submittedNanos);
                running.remove(s);
                retireLocked(s);
            }
        }
        metrics.running.set(running.size());
    }

    private void retireLocked(Sequence s) {
        lock.lock();
        try {
            retire(s);
        } finally {
            lock.unlock();
        }
    }

    /** Frees a sequence's cache and slot (lock held). */
    private void retire(Sequence s) {
        s.cache = null;
        active--;
        if (active == 0) idle.signalAll();
    }
}
