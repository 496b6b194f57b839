package dev.veil.talaria.cloud;

import dev.veil.engine.kernel.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Multiplies the rows of concurrent calls to one product as one matrix. One loop per product takes the first waiting
 * call, optionally waits a short window for others, then takes every call queued behind it (up to a row limit), runs
 * one matmul and hands each caller its rows. With no window, batching is opportunistic: calls that arrive while a
 * matmul runs share the next one, and a lone client pays no waiting at all.
 */
final class Batcher implements AutoCloseable {

    private record Job(float[] x, int n, CompletableFuture<float[]> result) {}

    private final FoldedProduct product;
    private final Parallel parallel;
    private final long windowNanos;
    private final int maxRows;
    private final CloudStats stats;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread loop;
    private volatile boolean closed;

    Batcher(FoldedProduct product, Parallel parallel, long windowNanos, int maxRows, CloudStats stats) {
        this.product = product;
        this.parallel = parallel;
        this.windowNanos = windowNanos;
        this.maxRows = maxRows;
        this.stats = stats;
        this.loop = Thread.ofVirtual().name("batch-" + product.name()).start(this::run);
    }

    /** {@code x[n × in] · Wᵀ + b}, computed together with whatever other calls are waiting. */
    float[] multiply(float[] x, int n) throws InterruptedException {
        Job job = new Job(x, n, new CompletableFuture<>());
        if (closed) throw new IllegalStateException("the cloud is shutting down");
        queue.add(job);
        if (closed) job.result.completeExceptionally(new IllegalStateException("the cloud is shutting down"));
        try {
            return job.result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    private void run() {
        while (!closed) {
            Job first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                break;
            }
            if (windowNanos > 0) LockSupport.parkNanos(windowNanos);
            List<Job> batch = new ArrayList<>();
            batch.add(first);
            int rows = first.n;
            for (Job next; (next = queue.peek()) != null && rows + next.n <= maxRows; rows += next.n) batch.add(queue.poll());
            try {
                compute(batch, rows);
            } catch (RuntimeException | Error e) {
                for (Job j : batch) j.result.completeExceptionally(e);
            }
        }
        for (Job j; (j = queue.poll()) != null; ) j.result.completeExceptionally(new IllegalStateException("the cloud is shutting down"));
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

    @Override
    public void close() {
        closed = true;
        loop.interrupt();
    }
}
