package dev.veil.talaria.protocol;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A socket that waits for data by polling for a short while before it sleeps. Talaria's calls are short ping-pongs
 * (a decode step is 4L + 2 of them): on a virtual machine a thread that blocks in the kernel takes 20–30 µs to be woken,
 * twice per round trip, which is more than the loopback transfer and the small matmul together. Polling the
 * non-blocking socket for up to {@code spinNanos} catches a reply (or the next request) that comes soon without that
 * wake-up; longer waits fall back to an ordinary blocking select. The engine's kernel pool does the same with its
 * workers. At most {@link #MAX_SPINNERS} threads of the process poll at once, so a busy server with many connections
 * (or many clients in one process) does not burn the cores it needs for the matmuls; the others block at once.
 */
public final class SpinningChannel implements AutoCloseable {

    /** Threads allowed to poll at the same time, process-wide: half the cores, at least one. */
    public static final int MAX_SPINNERS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    private static final AtomicInteger SPINNERS = new AtomicInteger();

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final long spinNanos;

    /** Takes over {@code channel} (made non-blocking); {@code spinNanos == 0} never polls. */
    public SpinningChannel(SocketChannel channel, long spinNanos) throws IOException {
        if (spinNanos < 0) throw new IllegalArgumentException("spin time must be >= 0, got " + spinNanos);
        this.channel = channel;
        this.spinNanos = spinNanos;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        this.key = channel.register(selector, 0);
    }

    public SocketChannel channel() {
        return channel;
    }

    /**
     * Reads what is available into {@code buf} (which must have room), waiting up to {@code timeoutMillis} for at least
     * one byte (0 = no limit); -1 at the end of the stream.
     */
    public int read(ByteBuffer buf, long timeoutMillis) throws IOException {
        int n = channel.read(buf);
        if (n != 0) return n;
        if (spinNanos > 0 && SPINNERS.incrementAndGet() <= MAX_SPINNERS) {
            try {
                long until = System.nanoTime() + spinNanos;
                do {
                    Thread.onSpinWait();
                    n = channel.read(buf);
                    if (n != 0) return n;
                } while (System.nanoTime() < until);
            } finally {
                SPINNERS.decrementAndGet();
            }
        } else if (spinNanos > 0) {
            SPINNERS.decrementAndGet();
        }
        long deadline = timeoutMillis == 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            n = channel.read(buf);
            if (n != 0) return n;
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("no data within " + timeoutMillis + " ms");
            await(SelectionKey.OP_READ, timeoutMillis == 0 ? 0 : Math.max(1, left / 1_000_000));
        }
    }

    /** Writes every byte of {@code bufs}, waiting whenever the socket's send buffer is full. */
    public void write(ByteBuffer... bufs) throws IOException {
        long left = 0;
        for (ByteBuffer b : bufs) left += b.remaining();
        while (left > 0) {
            long n = channel.write(bufs);
            left -= n;
            if (n == 0) await(SelectionKey.OP_WRITE, 0);
        }
    }

    private void await(int op, long timeoutMillis) throws IOException {
        try {
            key.interestOps(op);
            selector.select(timeoutMillis);
            selector.selectedKeys().clear();
            key.interestOps(0);
        } catch (ClosedSelectorException | CancelledKeyException e) {
            throw new ClosedChannelException(); // closed by another thread while waiting
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
