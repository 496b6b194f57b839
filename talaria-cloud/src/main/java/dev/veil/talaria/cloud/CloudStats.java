package dev.veil.talaria.cloud;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the cloud counts: calls, rows, batches, bytes and compute time. Counts and timings only — the cloud never
 * records or logs a payload.
 */
public final class CloudStats {
    final AtomicLong calls = new AtomicLong();
    final AtomicLong rows = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong computeNanos = new AtomicLong();
    final AtomicLong handlerNanos = new AtomicLong();
    final AtomicLong errors = new AtomicLong();

    /** Infer calls answered. */
    public long calls() {
        return calls.get();
    }

    /** Rows multiplied, over all calls. */
    public long rows() {
        return rows.get();
    }

    /** Matmuls run; fewer than {@link #calls()} when concurrent calls were batched together. */
    public long batches() {
        return batches.get();
    }

    /** Mean number of calls that shared one matmul. */
    public double meanCallsPerBatch() {
        long b = batches.get();
        return b == 0 ? 0 : (double) calls.get() / b;
    }

    /** Request bodies received (JSON header + binary tensors). */
    public long bytesIn() {
        return bytesIn.get();
    }

    /** Response bodies sent. */
    public long bytesOut() {
        return bytesOut.get();
    }

    /** Time in matmuls (batched calls count once). */
    public long computeNanos() {
        return computeNanos.get();
    }

    /**
     * Time from an infer call's request head read to its reply written, over all calls: parsing, matmul, encoding and
     * writing. A client's wait minus this is the transport (kernel, loopback, wake-ups).
     */
    public long handlerNanos() {
        return handlerNanos.get();
    }

    /** Calls refused (bad request, unknown model, shutdown). */
    public long errors() {
        return errors.get();
    }

    /** Prometheus text format. */
    public String prometheus() {
        return "veil_talaria_calls_total " + calls() + "\n"
                + "veil_talaria_rows_total " + rows() + "\n"
                + "veil_talaria_batches_total " + batches() + "\n"
                + "veil_talaria_request_bytes_total " + bytesIn() + "\n"
                + "veil_talaria_response_bytes_total " + bytesOut() + "\n"
                + "veil_talaria_compute_seconds_total " + computeNanos() / 1e9 + "\n"
                + "veil_talaria_handler_seconds_total " + handlerNanos() / 1e9 + "\n"
                + "veil_talaria_errors_total " + errors() + "\n";
    }

    @Override
    public String toString() {
        return String.format("%d calls, %d rows, %d batches (%.2f calls/batch), %d B in, %d B out, %.3f s compute, %d errors",
                calls(), rows(), batches(), meanCallsPerBatch(), bytesIn(), bytesOut(), computeNanos() / 1e9, errors());
    }
}
