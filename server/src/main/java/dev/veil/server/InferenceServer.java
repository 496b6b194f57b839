package dev.veil.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.http.Exchange;
import dev.veil.http.HttpService;
import dev.veil.http.Json;
import dev.veil.http.Prometheus;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;

/**
 * The untrusted token server ({@code veil serve}): a subset of vLLM's OpenAI-compatible HTTP API over token ids, on
 * the shared HTTP layer ({@link HttpService}: Netty, a virtual thread per request) and one {@link Scheduler} thread
 * doing continuous batching.
 *
 * <ul>
 *   <li>{@code POST /v1/completions} — token ids in, token ids out, JSON or SSE ({@link CompletionEndpoint})</li>
 *   <li>{@code GET /v1/models} — the served model, with {@code max_model_len}</li>
 *   <li>{@code GET /health} — 200 while serving, 503 while shutting down</li>
 *   <li>{@code GET /metrics} — Prometheus text ({@link ServerMetrics})</li>
 * </ul>
 */
public final class InferenceServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(InferenceServer.class.getName());

    private final ServerOptions options;
    private final ModelConfig config;
    private final ServerMetrics metrics = new ServerMetrics();
    private final Scheduler scheduler;
    private final CompletionEndpoint completions;
    private final HttpService http;
    private final long created = System.currentTimeMillis() / 1000;
    private final AutoCloseable owned;
    private volatile boolean shuttingDown;

    private InferenceServer(Transformer model, Collection<Integer> eosIds, ServerOptions options, AutoCloseable owned)
            throws IOException {
        this.options = options;
        this.config = model.config();
        this.owned = owned;
        this.scheduler =
                new Scheduler(model, options.maxRunning(), options.maxWaiting(), options.prefillChunk(), metrics);
        this.completions = new CompletionEndpoint(
                scheduler,
                metrics,
                options.modelName(),
                config.vocabSize(),
                config.maxPositionEmbeddings(),
                Set.copyOf(eosIds),
                options.keepAlive(),
                options.intake());
        try {
            this.http = HttpService.on(options.host(), options.port(), ApiException::of)
                    .limits(options.http())
                    .bodyLimit(options.bodyLimit(config.maxPositionEmbeddings()))
                    .metrics(metrics.registry())
                    .start(this::route);
        } catch (IOException e) {
            scheduler.close();
            throw e;
        }
    }

    /**
     * Serves {@code model}, stopping sequences at {@code eosIds} (the model's end-of-sequence ids) unless a request says
     * {@code ignore_eos}. Port 0 picks a free port ({@link #port()}).
     */
    public static InferenceServer start(Transformer model, Collection<Integer> eosIds, ServerOptions options)
            throws IOException {
        return start(model, eosIds, options, null);
    }

    /**
     * Loads the model directory (or GGUF) onto the local backend, with {@code options.batching()}, and serves it;
     * {@link #close()} releases it.
     */
    public static InferenceServer open(Path model, ServerOptions options, Parallel parallel) throws IOException {
        ModelFiles files = ModelFiles.open(model);
        try {
            var backend = new LocalLinearBackend(files.config(), files.weights(), parallel, options.batching());
            backend.prepareDecode();
            return start(new Transformer(backend, parallel), files.generation().eosTokenIds(), options, files);
        } catch (IOException | RuntimeException e) {
            files.close();
            throw e;
        }
    }

    private static InferenceServer start(
            Transformer model, Collection<Integer> eosIds, ServerOptions options, AutoCloseable owned)
            throws IOException {
        InferenceServer s = new InferenceServer(model, eosIds, options, owned);
        LOG.log(
                System.Logger.Level.INFO,
                "serving a {0}-layer model ({1} ids, context {2}) on {3}; batch {4}, queue {5}",
                s.config.numLayers(),
                s.config.vocabSize(),
                s.config.maxPositionEmbeddings(),
                s.uri(),
                options.maxRunning(),
                options.maxWaiting());
        return s;
    }

    public int port() {
        return http.port();
    }

    /** The base URI, e.g. {@code http://127.0.0.1:8000}. */
    public URI uri() {
        return http.uri();
    }

    public String modelName() {
        return options.modelName();
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    private void route(Exchange exchange) throws Exception {
        String path = exchange.path();
        String method = exchange.method();
        switch (path) {
            case "/v1/completions" -> {
                if (exchange.requireMethod("POST")) completions.handle(exchange);
            }
            case "/v1/models" -> {
                if (exchange.requireMethod("GET")) exchange.sendJson(200, models());
            }
            case "/health" -> {
                if (exchange.requireMethod("GET")) exchange.send(shuttingDown ? 503 : 200, "text/plain", new byte[0]);
            }
            case "/metrics" -> {
                if (exchange.requireMethod("GET")) Prometheus.send(exchange, metrics.registry());
            }
            default ->
                exchange.sendError(new ApiException(
                        404,
                        "NotFoundError",
                        "no such endpoint: " + method + " " + CompletionRequest.clip(path),
                        null));
        }
    }

    private ObjectNode models() {
        ObjectNode model = Json.MAPPER.createObjectNode();
        model.put("id", options.modelName());
        model.put("object", "model");
        model.put("created", created);
        model.put("owned_by", "veil");
        model.put("root", options.modelName());
        model.put("max_model_len", config.maxPositionEmbeddings());
        ObjectNode list = Json.MAPPER.createObjectNode();
        list.put("object", "list");
        list.putArray("data").add(model);
        return list;
    }

    /**
     * Stops taking requests (503), lets running and queued sequences finish for up to {@code grace}, then closes;
     * whatever is left gets an error.
     */
    public void shutdown(Duration grace) {
        shuttingDown = true;
        scheduler.stopAccepting();
        try {
            scheduler.awaitIdle(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    /** Stops at once: sequences still running get an error event, connections close. */
    @Override
    public void close() {
        shuttingDown = true;
        scheduler.close();
        http.close(Duration.ofSeconds(1)); // lets handlers write the error their sequences just got
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing the model failed: " + e.getMessage());
            }
        }
        LOG.log(System.Logger.Level.INFO, "server stopped");
    }
}
