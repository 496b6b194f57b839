package dev.veil.talaria.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.ExpertBatch;
import dev.veil.talaria.protocol.InferRequest;
import dev.veil.talaria.protocol.InferResponse;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The client's side of the wire: KServe V2 infer calls to the cloud. Every call is idempotent (the cloud is stateless
 * and the same masked rows may be sent twice), so a call that fails on the connection or gets a 503 is retried with
 * backoff until the retry budget runs out; then it fails with one clear error naming the call.
 */
public final class CloudConnection implements AutoCloseable {

    /** @param budget how long one call may keep retrying (long enough to ride out a cloud restart) */
    public record Retry(Duration budget, Duration firstBackoff, Duration maxBackoff) {
        public static final Retry DEFAULT =
                new Retry(Duration.ofSeconds(30), Duration.ofMillis(20), Duration.ofSeconds(1));

        public static Retry none() {
            return new Retry(Duration.ZERO, Duration.ZERO, Duration.ZERO);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final Retry retry;
    private final Transport transport;
    private final WireStats stats = new WireStats();

    public CloudConnection(URI base, Retry retry, Transport.Kind transport) {
        this(base, retry, transport, Duration.ZERO);
    }

    /** @param netDelay added to every round trip ({@link DelayedTransport}): a network's delay over loopback, for measuring */
    public CloudConnection(URI base, Retry retry, Transport.Kind transport, Duration netDelay) {
        this.base = URI.create(base.toString().replaceAll("/+$", ""));
        this.retry = retry;
        Transport t = transport.open(this.base);
        this.transport = netDelay.isZero() ? t : new DelayedTransport(t, netDelay.toNanos());
    }

    public CloudConnection(URI base, Retry retry) {
        this(base, retry, Transport.Kind.SOCKET);
    }

    public URI base() {
        return base;
    }

    public WireStats stats() {
        return stats;
    }

    /** Replies beyond the tensor data: the JSON header, or an error message. */
    static final int REPLY_OVERHEAD = 64 * 1024;

    /**
     * The model's config.json as the cloud publishes it ({@code GET /v2/talaria/config}). The cloud is untrusted and
     * the client sizes its buffers from this: every size must be positive and within what any model Veil runs has.
     */
    public ModelConfig fetchConfig() {
        Transport.Reply r = send("/v2/talaria/config", Map.of(), null, REPLY_OVERHEAD, "the model config");
        ModelConfig c;
        try {
            c = ModelConfig.fromJson(JSON.readTree(r.body()));
        } catch (IOException | IllegalArgumentException e) {
            throw new TalariaException("cloud " + base + " sent an unusable model config: " + e.getMessage(), e);
        }
        String bad = check("vocab_size", c.vocabSize(), 1 << 21)
                + check("hidden_size", c.hiddenSize(), 1 << 16)
                + check("intermediate_size", c.intermediateSize(), 1 << 18)
                + check("num_hidden_layers", c.numLayers(), 1024)
                + check("num_attention_heads", c.numHeads(), 1024)
                + check("num_key_value_heads", c.numKvHeads(), 1024)
                + check("head_dim", c.headDim(), 1024)
                + check("max_position_embeddings", c.maxPositionEmbeddings(), 1 << 24);
        if (!bad.isEmpty()) throw new TalariaException("cloud " + base + " sent an unusable model config:" + bad);
        return c;
    }

    /**
     * Qwen3's q_norm / k_norm weights as the cloud publishes them ({@code GET /v2/talaria/qk_norm}): {@code [2·layer]}
     * γ_q, {@code [2·layer + 1]} γ_k, each of head_dim finite values, or a {@link TalariaException} naming what is wrong.
     */
    public float[][] fetchQkNorms(ModelConfig c) {
        Transport.Reply r = send(
                "/v2/talaria/qk_norm",
                Map.of(),
                null,
                REPLY_OVERHEAD + 32 * 2 * c.numLayers() * c.headDim(),
                "the q/k norm weights");
        float[][] out = new float[2 * c.numLayers()][];
        try {
            var rows = JSON.readTree(r.body()).path("qk_norm");
            if (rows.size() != out.length)
                throw new IllegalArgumentException(rows.size() + " vectors, expected " + out.length);
            for (int i = 0; i < out.length; i++) {
                var row = rows.get(i);
                if (row.size() != c.headDim())
                    throw new IllegalArgumentException(
                            "vector " + i + " has " + row.size() + " values, expected " + c.headDim());
                out[i] = new float[c.headDim()];
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] = row.get(j).floatValue();
                    if (!row.get(j).isNumber() || !Float.isFinite(out[i][j]))
                        throw new IllegalArgumentException("vector " + i + " value " + j + " is not a finite number");
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new TalariaException("cloud " + base + " sent unusable q/k norm weights: " + e.getMessage(), e);
        }
        return out;
    }

    private static String check(String field, int value, int max) {
        return value >= 1 && value <= max ? "" : " " + field + " " + value + " is outside 1.." + max + ";";
    }

    /** {@code z[n × in] · Wᵀ (+b)} of product {@code name}, as the cloud computes it. */
    public float[] infer(ModelName name, float[] z, int n, int in, int out) {
        InferResponse reply = exchange(
                name.toString(), List.of(InferTensor.matrix("input", z, n, in)), List.of("output"), (long) n * out);
        return rowsOf(reply, name.toString(), "output", n, out);
    }

    /**
     * Expert {@code experts[i]}'s product on the {@code n[i]} rows of {@code z[i]}, for every i, in one round trip
     * ({@link ExpertBatch}); the replies in the same order.
     */
    public float[][] inferExperts(ExpertBatch batch, int[] experts, float[][] z, int[] n, int in, int out) {
        List<InferTensor> inputs = new ArrayList<>(experts.length);
        List<String> outputs = new ArrayList<>(experts.length);
        long values = 0;
        for (int i = 0; i < experts.length; i++) {
            inputs.add(InferTensor.matrix(ExpertBatch.input(experts[i]), z[i], n[i], in));
            outputs.add(ExpertBatch.output(experts[i]));
            values += (long) n[i] * out;
        }
        InferResponse reply = exchange(batch.toString(), inputs, outputs, values);
        float[][] y = new float[experts.length][];
        for (int i = 0; i < experts.length; i++)
            y[i] = rowsOf(reply, batch.toString(), ExpertBatch.output(experts[i]), n[i], out);
        return y;
    }

    /** One infer call: the request's tensors in, the reply (at most {@code outValues} floats and a header) back. */
    private InferResponse exchange(String model, List<InferTensor> inputs, List<String> outputs, long outValues) {
        V2Codec.Body body = new InferRequest(null, inputs, outputs).encode();
        Map<String, String> headers = Map.of(
                "Content-Type", V2Codec.CONTENT_TYPE, V2Codec.HEADER_LENGTH, Integer.toString(body.jsonLength()));
        long t0 = System.nanoTime();
        // the reply is the asked-for floats and a JSON header (an entry more per extra tensor of a batched call):
        // anything larger is refused before it is read
        int maxReply =
                (int) Math.min(Integer.MAX_VALUE - 8, REPLY_OVERHEAD + 256L * (outputs.size() - 1) + 4L * outValues);
        Transport.Reply r = send("/v2/models/" + model + "/infer", headers, body.bytes(), maxReply, model);
        stats.waitNanos.addAndGet(System.nanoTime() - t0);
        InferResponse reply;
        try {
            String len = r.header(V2Codec.HEADER_LENGTH)
                    .orElseThrow(() -> new IllegalArgumentException("reply lacks " + V2Codec.HEADER_LENGTH));
            reply = InferResponse.decode(r.body(), Integer.parseInt(len.trim()));
        } catch (IllegalArgumentException e) {
            throw new TalariaException(
                    "cloud " + base + " sent a malformed reply for " + model + ": " + e.getMessage(), e);
        }
        long valuesIn = 0;
        for (InferTensor t : inputs) valuesIn += t.data().length;
        stats.roundTrips.incrementAndGet();
        stats.bytesSent.addAndGet(body.bytes().length);
        stats.bytesReceived.addAndGet(r.body().length);
        stats.valuesSent.addAndGet(valuesIn);
        stats.valuesReceived.addAndGet(outValues);
        return reply;
    }

    /** Output {@code output} of a reply, which must be {@code [n, out]}. */
    private float[] rowsOf(InferResponse reply, String model, String output, int n, int out) {
        InferTensor y;
        try {
            y = reply.output(output);
        } catch (IllegalArgumentException e) {
            throw new TalariaException(
                    "cloud " + base + " sent a malformed reply for " + model + ": " + e.getMessage(), e);
        }
        if (y.shape().length != 2 || y.shape()[0] != n || y.shape()[1] != out)
            throw new TalariaException("cloud " + base + " answered " + model + " (" + output + ") with shape "
                    + Arrays.toString(y.shape()) + ", expected [" + n + ", " + out + "]");
        return y.data();
    }

    /** Sends with retries on connection failures and 503s; other errors fail at once with the server's message. */
    private Transport.Reply send(
            String path, Map<String, String> headers, byte[] body, int maxReplyBytes, String what) {
        long deadline = System.nanoTime() + retry.budget().toNanos();
        long backoff = Math.max(1, retry.firstBackoff().toMillis());
        int attempts = 0;
        while (true) {
            attempts++;
            String failure;
            Throwable cause = null;
            try {
                Transport.Reply r = transport.exchange(path, headers, body, maxReplyBytes);
                if (r.status() == 200) return r;
                String message = errorMessage(r.body());
                if (r.status() != 503)
                    throw new TalariaException(
                            "cloud " + base + " refused " + what + " (HTTP " + r.status() + "): " + message);
                failure = "HTTP 503: " + message;
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                cause = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TalariaException("interrupted while calling " + what, e);
            }
            if (System.nanoTime() + backoff * 1_000_000 > deadline)
                throw new CloudUnavailableException(
                        "cloud " + base + " did not answer " + what + " after " + attempts + " attempt(s) within "
                                + retry.budget().toMillis() + " ms: " + failure,
                        cause);
            stats.retries.incrementAndGet();
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TalariaException("interrupted while retrying " + what, e);
            }
            backoff = Math.min(backoff * 2, Math.max(1, retry.maxBackoff().toMillis()));
        }
    }

    private static String errorMessage(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.has("error")) return n.get("error").asText();
        } catch (IOException ignored) {
            // not JSON: the raw text below
        }
        String s = new String(body, StandardCharsets.UTF_8);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    @Override
    public void close() {
        transport.close();
    }
}
