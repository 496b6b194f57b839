package dev.veil.talaria.client;

import dev.veil.engine.TcpRelay;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;

/** A TCP relay that counts every byte each way: the wire as the network sees it, HTTP headers included. */
final class ByteCountingProxy implements AutoCloseable {

    final AtomicLong upstream = new AtomicLong();
    final AtomicLong downstream = new AtomicLong();
    private final TcpRelay relay;

    ByteCountingProxy(URI target) throws IOException {
        this.relay = new TcpRelay(target.getPort(), (b, n) -> upstream.addAndGet(n), (b, n) -> downstream.addAndGet(n));
    }

    URI uri() {
        return relay.uri();
    }

    @Override
    public void close() {
        relay.close();
    }
}
