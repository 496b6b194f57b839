package dev.veil.talaria.client;

import java.util.concurrent.atomic.AtomicLong;

/** What crossed between this client and the cloud: round trips, body bytes and FP32 values, each way. */
public final class WireStats {
    final AtomicLong roundTrips = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong valuesSent = new AtomicLong();
    final AtomicLong valuesReceived = new AtomicLong();
    final AtomicLong setups = new AtomicLong();
    final AtomicLong setupBytes = new AtomicLong();
    final AtomicLong waitNanos = new AtomicLong();
    final AtomicLong setupNanos = new AtomicLong();

    /** Infer calls answered (retries of one call count once). */
    public long roundTrips() {
        return roundTrips.get();
    }

    /** Attempts repeated after a connection failure or a 503. */
    public long retries() {
        return retries.get();
    }

    /** Request bodies sent (JSON header + tensor bytes; HTTP headers not included). */
    public long bytesSent() {
        return bytesSent.get();
    }

    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** FP32 values in the tensors sent. */
    public long valuesSent() {
        return valuesSent.get();
    }

    public long valuesReceived() {
        return valuesReceived.get();
    }

    /** Sessions set up with the setup authority. */
    public long setups() {
        return setups.get();
    }

    /** Bytes of setup bundles received. */
    public long setupBytes() {
        return setupBytes.get();
    }

    /** Time spent waiting for the cloud's replies. */
    public long waitNanos() {
        return waitNanos.get();
    }

    /** Time the setups took, from the seed sent to the bundle decoded (in the background or on a request's path). */
    public long setupNanos() {
        return setupNanos.get();
    }

    /** A copy of the current counts. */
    public Snapshot snapshot() {
        return new Snapshot(
                roundTrips(),
                retries(),
                bytesSent(),
                bytesReceived(),
                valuesSent(),
                valuesReceived(),
                setups(),
                setupBytes(),
                waitNanos());
    }

    public record Snapshot(
            long roundTrips,
            long retries,
            long bytesSent,
            long bytesReceived,
            long valuesSent,
            long valuesReceived,
            long setups,
            long setupBytes,
            long waitNanos) {
        public Snapshot minus(Snapshot o) {
            return new Snapshot(
                    roundTrips - o.roundTrips,
                    retries - o.retries,
                    bytesSent - o.bytesSent,
                    bytesReceived - o.bytesReceived,
                    valuesSent - o.valuesSent,
                    valuesReceived - o.valuesReceived,
                    setups - o.setups,
                    setupBytes - o.setupBytes,
                    waitNanos - o.waitNanos);
        }
    }
}
