package dev.veil.talaria.cloud;

import dev.veil.engine.kernel.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Multiplies the rows of concurrent calls to one product as one matrix, leader/follower style: a call queues its rows
 * and waits for the product's lock; whoever gets it (optionally waits a short window for more calls, then) takes every
 * queued call up to a row limit, runs one matmul on its own thread and hands each caller its rows. Callers whose rows
 * were taken find their result ready when the lock comes to them. A lone call runs at once on its request thread —
 * no hand-off, no waiting — and calls that arrive while a matmul runs share the next one.
 */
final class Batcher {

    private record Job(float[] x, int n, CompletableFuture<float[]> result) {}

    private final FoldedProduct product;
    private final Parallel parallel;
    private final long windowNanos;
    private final int maxRows;
    private final CloudStats stats;
    private final Queue<Job> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock leader = new ReentrantLock();

    Batcher(FoldedProduct product, Parallel parallel, long windowNanos, int maxRows, CloudStats stats) {
        this.product = product;
        this.parallel = parallel;
        this.windowNanos = windowNanos;
        this.maxRows = maxRows;
        this.stats = stats;
    }

    /** {@code x[n × in] · Wᵀ + b}, computed together with whatever other calls are waiting. */
    float[] multiply(float[] x, int n) throws InterruptedException {
        Job job = new Job(x, n, new CompletableFuture<>());
        queue.add(job);
        leader.lockInterruptibly();
        try {
            // a previous leader finished before we got the lock: if our rows were in its batch, they are done
            if (!job.result.isDone()) runBatch();
        } finally {
            leader.unlock();
        }
        try {
            return job.result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Takes queued calls (ours first in line or behind others) up to the row limit and computes them as one matmul. */
    private void runBatch() {
        if (windowNanos > 0) LockSupport.parkNanos(windowNanos);
        List<Job> batch = new ArrayList<>();
        int rows = 0;
        for (Job next; (next = queue.peek()) != null && (batch.isEmpty() || rows + next.n <= maxRows); rows += next.n)
            batch.add(queue.poll());
        try {
            compute(batch, rows);
        } catch (RuntimeException | Error e) {
            for (Job j : batch) j.result.completeExceptionally(e);
        }
    }

    private void compute(List<Job> batch, int rows) {
        int in = product.inDim(), out = product.outDim();
        float[] x;
        if (batch.size() == 1) {
            x = batch.getFirst().x;
        } else {
            x = new float[rows * in];
            int at = 0;
            for (Job j : batch) {
                System.arraycopy(j.x, 0, x, at, j.n * in);
                at += j.n * in;
            }
        }
        float[] y = new float[rows * out];
        long t0 = System.nanoTime();
        product.multiply(parallel, x, rows, y);
        stats.computeNanos.addAndGet(System.nanoTime() - t0);
        stats.batches.incrementAndGet();
        if (batch.size() == 1) {
            batch.getFirst().result.complete(y);
            return;
        }
        int at = 0;
        for (Job j : batch) {
            float[] part = new float[j.n * out];
            System.arraycopy(y, at, part, 0, part.length);
            at += part.length;
            j.result.complete(part);
        }
    }
}
