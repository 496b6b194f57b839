package dev.veil.talaria.client;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * A transport whose every exchange takes a fixed extra time after the reply arrives: the round trip of a network
 * between client and cloud, simulated over loopback ({@code --net-delay-ms}). Calls are sequential, so where in the
 * round trip the delay falls does not matter. The last stretch is spun rather than slept (a sleeping thread wakes
 * 50-100 µs late on this kind of VM, which would swamp a 0.1 ms delay); the cloud is idle meanwhile.
 */
final class DelayedTransport implements Transport {

    private static final long SPIN_NANOS = 200_000;

    private final Transport inner;
    private final long delayNanos;

    DelayedTransport(Transport inner, long delayNanos) {
        if (delayNanos < 0) throw new IllegalArgumentException("network delay must not be negative");
        this.inner = inner;
        this.delayNanos = delayNanos;
    }

    @Override
    public Reply exchange(String path, Map<String, String> headers, byte[] body, int maxReplyBytes)
            throws IOException, InterruptedException {
        Reply r = inner.exchange(path, headers, body, maxReplyBytes);
        long until = System.nanoTime() + delayNanos;
        for (long left; (left = until - System.nanoTime()) > 0; ) {
            if (left > SPIN_NANOS) LockSupport.parkNanos(left - SPIN_NANOS);
            else Thread.onSpinWait();
        }
        return r;
    }

    @Override
    public void close() {
        inner.close();
    }
}
