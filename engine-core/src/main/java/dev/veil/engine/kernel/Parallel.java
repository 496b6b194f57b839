package dev.veil.engine.kernel;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A persistent pool of worker threads for the engine's kernels.
 *
 * <p>A decoder layer issues several small parallel loops per token, so the per-call cost matters more than
 * anything else: a call puts one {@link Job} on a queue, wakes only workers that are parked, and runs tasks itself
 * alongside them; idle workers spin briefly before parking so that the next loop of the same token finds them awake.
 * Tasks are claimed one at a time from an atomic counter, which balances the load when a core is busy elsewhere.
 *
 * <p>One pool can serve several concurrent callers (a server running several generations): each call is its own job,
 * workers help whichever job is at the head of the queue, and every caller works on its own job until it is done,
 * so no call waits on another. Nested calls from inside a task are allowed for the same reason.
 */
public final class Parallel implements AutoCloseable {

    /** How long an idle worker keeps polling before it parks: longer than the gap between two matmuls of a token. */
    private static final long SPIN_NANOS = 50_000;

    private static volatile Parallel shared;

    private final int threads;
    private final Worker[] workers;
    private final ConcurrentLinkedQueue<Job> queue = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** A pool of {@code threads} threads in all: the calling thread plus {@code threads - 1} workers. */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("veil-kernel-" + i);
            workers[i].start();
        }
    }

    /** The process-wide pool with one thread per available processor, created on first use. */
    public static Parallel shared() {
        Parallel p = shared;
        if (p == null) {
            synchronized (Parallel.class) {
                if (shared == null) shared = new Parallel(Runtime.getRuntime().availableProcessors());
                p = shared;
            }
        }
        return p;
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body.accept(task)} for every task in {@code [0, tasks)} and returns when all have finished. */
    public void forEach(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (tasks == 1 || workers.length == 0) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        if (closed) throw new IllegalStateException("the kernel thread pool is closed");
        Job job = new Job(body, tasks, Thread.currentThread());
        queue.add(job);
        for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
        job.work();
        queue.remove(job);
        job.awaitDone();
    }

    /**
     * Splits {@code [0, n)} into about {@code 4 × threads} ranges of at least {@code grain} elements (each starting at
     * a multiple of {@code grain}) and runs {@code body} on each. The units of {@code grain} are shared out evenly
     * (chunks differ by one unit at most): rounding every chunk up left a short last one, so that with 43 units on two
     * threads one thread ran 24 and the other 19.
     */
    public void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int units = Math.ceilDiv(n, grain);
        int chunks = Math.min(units, threads == 1 ? 1 : 4 * threads);
        forEach(
                chunks,
                c -> body.run(
                        (int) ((long) c * units / chunks) * grain,
                        Math.min(n, (int) ((long) (c + 1) * units / chunks) * grain)));
    }

    /**
     * {@code body} over the rows {@code [0, n)} of a batch, each row's result independent of the others: split among
     * the threads for a prompt of {@link #ROWS_TO_SPLIT} rows or more, on the calling thread for fewer (decode, short
     * prompts), where the hand-off would cost more than the rows.
     */
    public void forRows(int n, RangeBody body) {
        if (n < ROWS_TO_SPLIT) body.run(0, n);
        else forRange(n, 4, body);
    }

    /** The rows from which {@link #forRows} splits the work. */
    public static final int ROWS_TO_SPLIT = 16;

    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    /** One parallel loop: tasks are claimed from {@code next}; the caller waits until {@code pending} reaches zero. */
    private static final class Job {
        final IntConsumer body;
        final int tasks;
        final Thread owner;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger pending;
        volatile boolean ownerParked;
        volatile Throwable failure;

        Job(IntConsumer body, int tasks, Thread owner) {
            this.body = body;
            this.tasks = tasks;
            this.owner = owner;
            this.pending = new AtomicInteger(tasks);
        }

        boolean exhausted() {
            return next.get() >= tasks;
        }

        void work() {
            int i;
            while ((i = next.getAndIncrement()) < tasks) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    if (pending.decrementAndGet() == 0 && ownerParked) LockSupport.unpark(owner);
                }
            }
        }

        void awaitDone() {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (pending.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    ownerParked = true;
                    if (pending.get() > 0) LockSupport.park(this);
                    ownerParked = false;
                }
            }
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (!closed) {
                Job job = queue.peek();
                if (job != null) {
                    if (job.exhausted()) queue.remove(job);
                    else job.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    // Dekker-style handshake with forEach: either we see the new job or the caller sees parked == true.
                    parked = true;
                    if (queue.isEmpty() && !closed) LockSupport.park(this);
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
