package dev.veil.http;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * At most a few requests parsed at once (their JSON trees, the gateway's tokenizing): the rest wait up to a while for
 * a slot, then get the service's 503 (with Retry-After). A body costs memory only as its bytes arrive, so a slow one
 * holds no slot; what the slots bound is the parsing of whole bodies.
 */
public final class ParsingSlots {

    /** Work that may fail with the service's error. */
    @FunctionalInterface
    public interface Work<T, E extends HttpError> {
        T run() throws E;
    }

    private final Semaphore slots;
    private final Duration wait;

    public ParsingSlots(int slots, Duration wait) {
        this.slots = new Semaphore(slots);
        this.wait = wait;
    }

    /** Runs {@code work} holding a slot; {@code busy} when none frees up within the wait. */
    public <T, E extends HttpError> T run(Work<T, E> work, Supplier<E> busy) throws E {
        boolean acquired;
        try {
            acquired = slots.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) throw busy.get();
        try {
            return work.run();
        } finally {
            slots.release();
        }
    }

    /** The semaphore, for tests that need the service busy. */
    public Semaphore semaphore() {
        return slots;
    }
}
