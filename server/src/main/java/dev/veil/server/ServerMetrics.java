package dev.veil.server;

import dev.veil.http.Prometheus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What {@code GET /metrics} reports, through Micrometer in the Prometheus text format: requests by outcome, prompt and
 * generated tokens, queue depth and running sequences, batch sizes, pass and request latencies, and the HTTP layer's
 * connections and timeouts. Counts and timings only.
 */
public final class ServerMetrics {

    private static final Duration[] SECONDS = Arrays.stream(
                    new double[] {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120})
            .mapToObj(s -> Duration.ofNanos((long) (s * 1e9)))
            .toArray(Duration[]::new);

    private final PrometheusMeterRegistry registry = Prometheus.registry();
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Counter promptTokens = Counter.builder("veil.prompt.tokens")
            .description("Prompt tokens of accepted requests.")
            .register(registry);
    private final Counter generatedTokens = Counter.builder("veil.generation.tokens")
            .description("Generated tokens.")
            .register(registry);
    private final Counter cancelledSequences = Counter.builder("veil.cancelled.sequences")
            .description("Sequences dropped because their client went away.")
            .register(registry);
    private final DistributionSummary tokensAfterCancel = DistributionSummary.builder("veil.cancelled.sequence.tokens")
            .description("Tokens a sequence generated after its client went away: 1 when a pass was under way, else 0.")
            .serviceLevelObjectives(1, 2)
            .register(registry);
    final AtomicInteger waiting = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final DistributionSummary batchSize = DistributionSummary.builder("veil.batch.size")
            .description("Sequences per pass over the weights.")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
            .register(registry);
    final Timer passSeconds = timer("veil.pass", "Duration of one batched forward pass.");
    final Timer timeToFirstToken =
            timer("veil.time.to.first.token", "From a sequence's arrival to its first generated token.");
    final Timer sequenceSeconds = timer("veil.sequence", "From a sequence's arrival to its end.");

    ServerMetrics() {
        Gauge.builder("veil.queue.depth", waiting, AtomicInteger::get)
                .description("Sequences waiting for a batch slot.")
                .register(registry);
        Gauge.builder("veil.running.sequences", running, AtomicInteger::get)
                .description("Sequences in the running batch.")
                .register(registry);
    }

    private Timer timer(String name, String help) {
        return Timer.builder(name)
                .description(help)
                .serviceLevelObjectives(SECONDS)
                .register(registry);
    }

    static void observe(Timer timer, long nanos) {
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Outcomes: ok, bad_request, not_found, busy, queue_full, shutting_down, failed, client_gone. */
    void request(String outcome) {
        requests.computeIfAbsent(
                        outcome,
                        k -> Counter.builder("veil.requests")
                                .description("Completion requests by outcome.")
                                .tag("outcome", k)
                                .register(registry))
                .increment();
    }

    void promptTokens(int n) {
        promptTokens.increment(n);
    }

    void generatedToken() {
        generatedTokens.increment();
    }

    void cancelled(int tokensSinceCancel) {
        cancelledSequences.increment();
        tokensAfterCancel.record(tokensSinceCancel);
    }

    public long requests(String outcome) {
        Counter c = requests.get(outcome);
        return c == null ? 0 : (long) c.count();
    }

    public long generatedTokens() {
        return (long) generatedTokens.count();
    }

    public long cancelledSequences() {
        return (long) cancelledSequences.count();
    }

    /** The most tokens any cancelled sequence generated after its client went away (0 if none was cancelled). */
    public long maxTokensAfterCancel() {
        return (long) tokensAfterCancel.max();
    }

    public int waiting() {
        return waiting.get();
    }

    public int running() {
        return running.get();
    }

    /** Passes over the weights so far and the sequences they carried (their mean is the mean batch size). */
    public long passes() {
        return batchSize.count();
    }

    public long batchedSequences() {
        return (long) batchSize.totalAmount();
    }

    /** Connections the HTTP layer closed by its request or idle timeout. */
    public long httpTimeouts() {
        Counter c = registry.find("veil.http.timeouts").counter();
        return c == null ? 0 : (long) c.count();
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition. */
    public String prometheus() {
        return registry.scrape();
    }
}
