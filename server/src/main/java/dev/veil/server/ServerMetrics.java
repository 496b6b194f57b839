package dev.veil.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What {@code GET /metrics} reports, in the Prometheus text format: requests by outcome, prompt and generated tokens,
 * queue depth and running sequences, batch sizes, pass and request latencies. Counts and timings only.
 */
public final class ServerMetrics {

    private static final double[] SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder generatedTokens = new LongAdder();
    private final LongAdder cancelledSequences = new LongAdder();
    final AtomicInteger waiting = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final Histogram batchSize = new Histogram("veil_batch_size", "Sequences per pass over the weights.",
            1, 2, 4, 8, 16, 32, 64, 128, 256);
    final Histogram passSeconds = new Histogram("veil_pass_seconds", "Duration of one batched forward pass.", SECONDS);
    final Histogram timeToFirstToken = new Histogram("veil_time_to_first_token_seconds",
            "From a sequence's arrival to its first generated token.", SECONDS);
    final Histogram sequenceSeconds = new Histogram("veil_sequence_seconds", "From a sequence's arrival to its end.", SECONDS);

    /** Outcomes: ok, bad_request, not_found, queue_full, shutting_down, failed, client_gone. */
    void request(String outcome) {
        requests.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    void promptTokens(int n) {
        promptTokens.add(n);
    }

    void generatedToken() {
        generatedTokens.increment();
    }

    void cancelled() {
        cancelledSequences.increment();
    }

    public long requests(String outcome) {
        LongAdder a = requests.get(outcome);
        return a == null ? 0 : a.sum();
    }

    public long generatedTokens() {
        return generatedTokens.sum();
    }

    public long cancelledSequences() {
        return cancelledSequences.sum();
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
        return (long) batchSize.sum();
    }

    /** The Prometheus text exposition. */
    public String prometheus() {
        StringBuilder out = new StringBuilder(4096);
        out.append("# HELP veil_requests_total Completion requests by outcome.\n# TYPE veil_requests_total counter\n");
        for (var e : new TreeMap<>(requests).entrySet())
            out.append("veil_requests_total{outcome=\"").append(e.getKey()).append("\"} ").append(e.getValue().sum()).append('\n');
        counter(out, "veil_prompt_tokens_total", "Prompt tokens of accepted requests.", promptTokens.sum());
        counter(out, "veil_generation_tokens_total", "Generated tokens.", generatedTokens.sum());
        counter(out, "veil_cancelled_sequences_total", "Sequences dropped because their client went away.", cancelledSequences.sum());
        gauge(out, "veil_queue_depth", "Sequences waiting for a batch slot.", waiting.get());
        gauge(out, "veil_running_sequences", "Sequences in the running batch.", running.get());
        batchSize.write(out);
        passSeconds.write(out);
        timeToFirstToken.write(out);
        sequenceSeconds.write(out);
        return out.toString();
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(value).append('\n');
    }
}
