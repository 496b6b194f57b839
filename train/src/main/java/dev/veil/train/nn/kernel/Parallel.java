package dev.veil.train.nn.kernel;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * Runs independent tasks on a fixed pool of worker threads. Every kernel gives each output element to exactly one
 * task and sums in a fixed order inside it, so results are bit-identical whatever the thread count or schedule.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("veil.threads", Runtime.getRuntime().availableProcessors());
    private static final ExecutorService POOL = Executors.newFixedThreadPool(Math.max(1, THREADS - 1), r -> {
        Thread t = new Thread(r, "veil-kernel");
        t.setDaemon(true);
        return t;
    });

    private Parallel() {}

    @FunctionalInterface
    public interface Task {
        void run(int index);
    }

    public static int threads() {
        return THREADS;
    }

    /** Runs {@code task(0 .. count-1)}, spread over the workers and the calling thread; returns when all are done. */
    public static void forEach(int count, Task task) {
        if (count <= 0) return;
        int workers = Math.min(THREADS, count);
        if (workers == 1) {
            for (int i = 0; i < count; i++) task.run(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable drain = () -> {
            for (int i; (i = next.getAndIncrement()) < count; ) task.run(i);
        };
        List<Future<?>> helpers = new ArrayList<>(workers - 1);
        for (int w = 1; w < workers; w++) helpers.add(POOL.submit(drain));
        drain.run();
        for (Future<?> f : helpers) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for kernel workers", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                if (e.getCause() instanceof Error err) throw err;
                throw new IllegalStateException(e.getCause());
            }
        }
    }
}
