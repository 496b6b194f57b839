package dev.veil.server;

import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.http.HttpLimits;
import dev.veil.http.HttpService;
import dev.veil.http.RequestIntake;
import dev.veil.model.Records;
import java.time.Duration;

/**
 * How the server listens and schedules.
 *
 * @param modelName     the id clients pass as {@code model} (and {@code /v1/models} lists)
 * @param maxRunning    sequences decoded together, at most (the batch of one pass over the weights)
 * @param maxWaiting    sequences waiting for a batch slot, at most; beyond that requests get 429
 * @param prefillChunk  prompt tokens run per pass, at most (shared by the sequences being prefilled), so a long prompt
 *                      does not stall the running streams
 * @param keepAlive     a streaming response that has had nothing to send this long gets an SSE comment, which is also
 *                      how a client that went away is noticed while its request waits
 * @param batching      {@link Batching#INVARIANT} (default): a sequence gets bit for bit the tokens it would get alone,
 *                      whatever it is batched with; {@link Batching#FASTEST}: faster prefill, results equal up to rounding
 * @param intake        the largest request body (0: from the context length, {@link #bodyLimit(int)}) and how many
 *                      requests are read and parsed at once ({@link RequestIntake})
 * @param http          request and idle timeouts, the connection cap, the head size ({@link HttpLimits})
 */
public record ServerOptions(
        String host,
        int port,
        String modelName,
        int maxRunning,
        int maxWaiting,
        int prefillChunk,
        Duration keepAlive,
        Batching batching,
        RequestIntake intake,
        HttpLimits http) {

    public static final int DEFAULT_PORT = 8000;

    public ServerOptions {
        HttpService.checkPort(port);
        if (modelName == null || modelName.isBlank())
            throw new IllegalArgumentException("the served model name is empty");
        if (maxRunning < 1) throw new IllegalArgumentException("max running sequences must be >= 1, got " + maxRunning);
        if (maxWaiting < 0) throw new IllegalArgumentException("max waiting sequences must be >= 0, got " + maxWaiting);
        if (prefillChunk < 1) throw new IllegalArgumentException("prefill chunk must be >= 1, got " + prefillChunk);
        if (keepAlive.isNegative() || keepAlive.isZero())
            throw new IllegalArgumentException("keep-alive must be positive");
        if (batching == null) throw new IllegalArgumentException("batching is null");
        if (intake == null) throw new IllegalArgumentException("the request intake is null");
        if (http == null) throw new IllegalArgumentException("the HTTP limits are null");
    }

    /**
     * The body limit: {@code maxBodyBytes}, or 64 KiB plus 16 bytes (an id, its comma and a space) per token of four
     * context-length prompts, between 1 and 16 MiB.
     */
    int bodyLimit(int contextLength) {
        if (intake.maxBodyBytes() > 0) return intake.maxBodyBytes();
        return (int) Math.clamp((64L << 10) + 4 * 16L * contextLength, 1 << 20, 16 << 20);
    }

    /**
     * Loopback, port 8000, 32 running and 256 waiting sequences, 256-token prefill chunks, 2 s keep-alive, batch-invariant,
     * body limit from the context, 8 requests parsed at once (others wait up to 10 s).
     */
    public static ServerOptions defaults(String modelName) {
        return new ServerOptions(
                "127.0.0.1",
                DEFAULT_PORT,
                modelName,
                32,
                256,
                256,
                Duration.ofSeconds(2),
                Batching.INVARIANT,
                RequestIntake.defaults(),
                HttpLimits.defaults());
    }

    public ServerOptions withAddress(String host, int port) {
        return Records.with(this, "host", host, "port", port);
    }

    public ServerOptions withLimits(int maxRunning, int maxWaiting) {
        return Records.with(this, "maxRunning", maxRunning, "maxWaiting", maxWaiting);
    }

    public ServerOptions withPrefillChunk(int tokens) {
        return Records.with(this, "prefillChunk", tokens);
    }

    public ServerOptions withKeepAlive(Duration keepAlive) {
        return Records.with(this, "keepAlive", keepAlive);
    }

    public ServerOptions withBatching(Batching batching) {
        return Records.with(this, "batching", batching);
    }

    public ServerOptions withHttp(HttpLimits http) {
        return Records.with(this, "http", http);
    }
}
