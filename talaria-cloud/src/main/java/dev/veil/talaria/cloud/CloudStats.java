package dev.veil.talaria.cloud;

import dev.veil.http.Prometheus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

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
    private final PrometheusMeterRegistry registry = Prometheus.registry();

    public CloudStats() {
        counter("veil.talaria.calls", "Infer calls answered.", CloudStats::calls);
        counter("veil.talaria.rows", "Rows multiplied.", CloudStats::rows);
        counter(
                "veil.talaria.batches",
                "Matmuls run (concurrent calls batched together count once).",
                CloudStats::batches);
        counter("veil.talaria.request.bytes", "Request bodies received.", CloudStats::bytesIn);
        counter("veil.talaria.response.bytes", "Response bodies sent.", CloudStats::bytesOut);
        counter("veil.talaria.compute.seconds", "Time in matmuls.", st -> st.computeNanos() / 1e9);
        counter(
                "veil.talaria.handler.seconds",
                "Time from an infer call's head read to its reply written.",
                st -> st.handlerNanos() / 1e9);
        counter("veil.talaria.errors", "Calls refused.", CloudStats::errors);
    }

    private void counter(String name, String help, ToDoubleFunction<CloudStats> value) {
        FunctionCounter.builder(name, this, value).description(help).register(registry);
    }

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

    /** Prometheus text format (through Micrometer, like the token server's). */
    public String prometheus() {
        return registry.scrape();
    }

    @Override
    public String toString() {
        return String.format(
                "%d calls, %d rows, %d batches (%.2f calls/batch), %d B in, %d B out, %.3f s compute, %d errors",
                calls(), rows(), batches(), meanCallsPerBatch(), bytesIn(), bytesOut(), computeNanos() / 1e9, errors());
    }
}
