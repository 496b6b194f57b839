package dev.veil.talaria.cloud;

import dev.veil.engine.kernel.Parallel;
import dev.veil.http.Exchange;
import dev.veil.http.HttpLimits;
import dev.veil.http.HttpService;
import dev.veil.http.Json;
import dev.veil.http.Prometheus;
import dev.veil.model.ModelConfig;
import dev.veil.model.Records;
import dev.veil.talaria.cloud.CloudHttpServer.Reply;
import dev.veil.talaria.cloud.CloudHttpServer.Request;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Talaria weight service: every weight product of the model as its own stateless Open Inference Protocol
 * (KServe V2) model, FP32 rows in and out with the binary tensor extension. It sees only masked rows; it keeps no
 * state between calls (so a restarted or replicated cloud answers the same), batches the rows of concurrent calls to
 * one product into one matmul, and logs counts and timings only, never a payload.
 *
 * <p>Endpoints: {@code GET /v2}, {@code /v2/health/live}, {@code /v2/health/ready}, {@code /v2/models/{name}},
 * {@code /v2/models/{name}/ready}, {@code POST /v2/models/{name}/infer} (also under {@code /versions/1}),
 * {@code GET /v2/talaria/config} (the model's config.json, Veil's extension), {@code GET /v2/talaria/qk_norm} (Qwen3's
 * q_norm/k_norm weights, which the client applies), {@code GET /metrics}.
 */
public final class CloudServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CloudServer.class.getName());

    /** No polling by default: it did not pay on a 2-core machine shared with the client (docs/talaria.md §2). */
    public static final Duration DEFAULT_SPIN = Duration.ZERO;

    static final String INPUT = "input";
    static final String OUTPUT = "output";

    /**
     * @param batchWindow how long a batch waits for more calls before it runs (zero: run at once and batch only the
     *                    calls that queued up meanwhile)
     * @param maxBatchRows rows per matmul at most
     * @param parallel    the kernel thread pool the matmuls run on
     * @param spin        how long a connection's thread polls for the client's next call before it sleeps
     *                    ({@link dev.veil.talaria.protocol.SpinningChannel}; zero: never)
     * @param limits      timeouts and the connection cap
     * @param transport   which HTTP server carries the calls ({@link Transport})
     */
    public record Options(
            String host,
            int port,
            Duration batchWindow,
            int maxBatchRows,
            Parallel parallel,
            Duration spin,
            Limits limits,
            Transport transport) {
        public Options {
            if (transport == null) throw new IllegalArgumentException("transport is null");
            if (spin.isNegative()) throw new IllegalArgumentException("spin time must not be negative");
            if (limits == null) throw new IllegalArgumentException("limits are null");
            HttpService.checkPort(port);
            if (batchWindow.isNegative()) throw new IllegalArgumentException("batch window must not be negative");
            if (maxBatchRows < 1) throw new IllegalArgumentException("max batch rows must be >= 1");
        }

        public Options(String host, int port, Duration batchWindow, int maxBatchRows, Parallel parallel) {
            this(host, port, batchWindow, maxBatchRows, parallel, DEFAULT_SPIN, Limits.DEFAULT, Transport.SOCKET);
        }

        public static Options loopback(int port) {
            return new Options("127.0.0.1", port, Duration.ZERO, 4096, Parallel.shared());
        }

        public Options withLimits(Limits l) {
            return Records.with(this, "limits", l);
        }

        public Options withTransport(Transport t) {
            return Records.with(this, "transport", t);
        }
    }

    /**
     * The cloud's HTTP server: {@code SOCKET} is the hand-written {@link CloudHttpServer} (a thread per connection that
     * reads, computes and writes with no hand-off); {@code NETTY} the shared {@link HttpService} (an event loop reads,
     * a virtual thread per call computes). Both enforce {@link Limits}; {@code veil bench talaria} compares them
     * (setting {@code default-netty-cloud}).
     */
    public enum Transport {
        SOCKET,
        NETTY
    }

    /**
     * What one client can make the cloud hold, bounded ({@link CloudHttpServer}).
     *
     * @param headTimeout    from a request's first byte to the end of its head
     * @param bodyTimeout    from the end of the head to the end of the body
     * @param idleTimeout    a kept-alive connection waits this long for its next request, then is closed (the
     *                       client reconnects)
     * @param maxConnections connections served at once, a thread each; more are answered 503 and closed
     */
    public record Limits(Duration headTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections) {

        /** 10 s for a head, 60 s for a body, 5 min idle, 256 connections. */
        public static final Limits DEFAULT =
                new Limits(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofMinutes(5), 256);

        public Limits {
            for (Duration d : List.of(headTimeout, bodyTimeout, idleTimeout))
                if (d.toMillis() < 1) throw new IllegalArgumentException("timeouts must be at least 1 ms, got " + d);
            if (maxConnections < 1)
                throw new IllegalArgumentException("max connections must be >= 1, got " + maxConnections);
        }
    }

    private final FoldedModel model;
    private final Options options;
    private final CloudHttpServer socketServer;
    private final HttpService nettyServer;
    private final Map<ModelName, Batcher> batchers = new LinkedHashMap<>();
    private final CloudStats stats = new CloudStats();
    private final byte[] configJson;

    private CloudServer(FoldedModel model, Options options) throws IOException {
        this.model = model;
        this.options = options;
        this.configJson = Json.MAPPER.writeValueAsBytes(model.config().toJson());
        for (ModelName n : ModelName.all(model.config()))
            batchers.put(
                    n,
                    new Batcher(
                            model.get(n),
                            options.parallel(),
                            options.batchWindow().toNanos(),
                            options.maxBatchRows(),
                            stats));
        int widest = ModelName.all(model.config()).stream()
                .mapToInt(n -> n.inDim(model.config()))
                .max()
                .orElse(1);
        // a batched expert call's JSON header names a tensor per expert: room for one entry each
        int experts = model.config().moe() == null ? 0 : model.config().moe().numExperts();
        long maxBody = 65536L + 256L * experts + 4L * options.maxBatchRows() * widest;
        if (options.transport() == Transport.SOCKET) {
            socketServer = new CloudHttpServer(
                    options.host(),
                    options.port(),
                    maxBody,
                    options.spin().toNanos(),
                    options.limits(),
                    this::handle,
                    CloudServer::error);
            nettyServer = null;
        } else {
            socketServer = null;
            Limits l = options.limits();
            nettyServer = HttpService.on(options.host(), options.port(), V2Error.SHAPE)
                    .limits(new HttpLimits(
                            l.headTimeout().plus(l.bodyTimeout()), l.idleTimeout(), l.maxConnections(), 16 << 10))
                    .bodyLimit((int) Math.min(maxBody, Integer.MAX_VALUE - 8))
                    .start(this::serve);
        }
    }

    /** A call on the Netty transport: the same handler as the socket server's. */
    private void serve(Exchange ex) throws IOException {
        Reply r = handle(new Request(ex.method(), ex.path(), ex::header, ex.body()));
        r.headers().forEach(ex::setHeader);
        ex.send(r.status(), r.contentType(), r.body());
    }

    /** Starts serving {@code model}; port 0 picks a free port (see {@link #port()}). */
    public static CloudServer start(FoldedModel model, Options options) throws IOException {
        CloudServer s = new CloudServer(model, options);
        if (s.socketServer != null) s.socketServer.start();
        LOG.log(
                System.Logger.Level.INFO,
                "talaria cloud serving {0} products of a {1}-layer model on {2}",
                s.batchers.size(),
                model.config().numLayers(),
                s.uri());
        return s;
    }

    public int port() {
        return socketServer != null ? socketServer.port() : nettyServer.port();
    }

    public URI uri() {
        return URI.create("http://" + options.host() + ":" + port());
    }

    public CloudStats stats() {
        return stats;
    }

    private Reply handle(Request r) {
        try {
            return route(r);
        } catch (V2Error e) {
            stats.errors.incrementAndGet();
            return error(e.status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            stats.errors.incrementAndGet();
            return error(400, e.getMessage());
        } catch (IllegalStateException e) {
            stats.errors.incrementAndGet();
            return error(503, e.getMessage());
        } catch (RuntimeException e) { // a bug, not the caller's: answer it rather than drop the connection
            stats.errors.incrementAndGet();
            LOG.log(System.Logger.Level.ERROR, "handler failed: " + e);
            return error(500, "internal error: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(503, "the cloud is shutting down");
        }
    }

    private Reply route(Request r) throws InterruptedException, V2Error {
        String path = r.path();
        String method = r.method();
        List<String> parts = List.of(path.replaceAll("^/+|/+$", "").split("/+"));
        if (method.equals("GET")) {
            switch (path) {
                case "/v2/health/live", "/v2/health/ready" -> {
                    return new Reply(200, "application/json", Map.of(), new byte[0]);
                }
                case "/v2" -> {
                    return json(
                            200,
                            Map.of(
                                    "name",
                                    "veil-talaria-cloud",
                                    "version",
                                    "0.1.0",
                                    "extensions",
                                    List.of("binary_tensor_data", "talaria_config")));
                }
                case "/v2/talaria/config" -> {
                    return new Reply(200, "application/json", Map.of(), configJson);
                }
                case "/v2/talaria/qk_norm" -> {
                    float[][] norms = model.qkNorms();
                    if (norms == null) return error(404, "this model has no q_norm/k_norm");
                    return json(200, Map.of("qk_norm", norms));
                }
                case "/metrics" -> {
                    return new Reply(
                            200,
                            Prometheus.CONTENT_TYPE,
                            Map.of(),
                            stats.prometheus().getBytes(StandardCharsets.UTF_8));
                }
                default -> {}
            }
        }
        if (parts.size() >= 3 && parts.get(0).equals("v2") && parts.get(1).equals("models")) {
            ModelName name = null;
            ExpertBatch batch;
            try {
                batch = ExpertBatch.parse(parts.get(2), model.config());
                if (batch == null) name = ModelName.parse(parts.get(2), model.config());
            } catch (IllegalArgumentException e) {
                throw new V2Error(404, e.getMessage());
            }
            Object shown = batch != null ? batch : name;
            List<String> rest = parts.subList(3, parts.size());
            if (rest.size() >= 2 && rest.get(0).equals("versions")) {
                if (!rest.get(1).equals("1")) throw new V2Error(404, "model " + shown + " has only version 1");
                rest = rest.subList(2, rest.size());
            }
            String action = rest.isEmpty() ? "" : String.join("/", rest);
            if (method.equals("GET") && action.isEmpty())
                return json(200, batch != null ? metadata(batch) : metadata(name));
            if (method.equals("GET") && action.equals("ready"))
                return new Reply(200, "application/json", Map.of(), new byte[0]);
            if (method.equals("POST") && action.equals("infer"))
                return batch != null ? inferExperts(r, batch) : infer(r, name);
        }
        throw new V2Error(404, method + " " + path + " is not an endpoint of the Talaria cloud");
    }

    private static Reply json(int status, Object value) {
        try {
            return new Reply(status, "application/json", Map.of(), Json.MAPPER.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** KServe's error shape, as every Talaria service answers it ({@link V2Error}). */
    private static Reply error(int status, String message) {
        return new Reply(status, "application/json", Map.of(), Json.bytes(new V2Error(status, message).body()));
    }

    private Map<String, Object> metadata(ModelName name) {
        ModelConfig c = model.config();
        return Map.of(
                "name",
                name.toString(),
                "versions",
                List.of("1"),
                "platform",
                "veil_talaria",
                "inputs",
                List.of(Map.of("name", INPUT, "datatype", "FP32", "shape", List.of(-1, name.inDim(c)))),
                "outputs",
                List.of(Map.of("name", OUTPUT, "datatype", "FP32", "shape", List.of(-1, name.outDim(c)))));
    }

    /** A batched expert model: one input and one output per expert, each of its expert's product's widths. */
    private Map<String, Object> metadata(ExpertBatch batch) {
        ModelConfig c = model.config();
        List<Map<String, Object>> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        for (int e = 0; e < c.moe().numExperts(); e++) {
            inputs.add(Map.of("name", ExpertBatch.input(e), "datatype", "FP32", "shape", List.of(-1, batch.inDim(c))));
            outputs.add(
                    Map.of("name", ExpertBatch.output(e), "datatype", "FP32", "shape", List.of(-1, batch.outDim(c))));
        }
        return Map.of(
                "name",
                batch.toString(),
                "versions",
                List.of("1"),
                "platform",
                "veil_talaria",
                "inputs",
                inputs,
                "outputs",
                outputs);
    }

    /**
     * Several experts of one sparse layer in one call: each {@code input.{e}} through expert e's product (its batcher,
     * as a lone call to that expert would go), the replies as {@code output.{e}} in the inputs' order. Shapes and the
     * row cap (all experts' rows together) are checked before any output is allocated.
     */
    private Reply inferExperts(Request r, ExpertBatch batch) throws InterruptedException, V2Error {
        long t0 = System.nanoTime();
        ModelConfig c = model.config();
        int in = batch.inDim(c), out = batch.outDim(c);
        InferRequest req = InferRequest.decode(r.body(), headerLength(r));
        List<InferTensor> xs = req.inputs();
        if (xs.isEmpty()) throw new IllegalArgumentException("model " + batch + " needs at least one input.{e}");
        int[] experts = new int[xs.size()];
        boolean[] seen = new boolean[c.moe().numExperts()];
        long total = 0;
        for (int i = 0; i < xs.size(); i++) {
            InferTensor x = xs.get(i);
            experts[i] = ExpertBatch.expertOf(x.name(), "input", c);
            if (seen[experts[i]])
                throw new IllegalArgumentException("model " + batch + ": input '" + x.name() + "' twice");
            seen[experts[i]] = true;
            if (x.shape().length != 2 || x.shape()[1] != in || x.shape()[0] < 1)
                throw new IllegalArgumentException(
                        "model " + batch + " takes FP32 [n, " + in + "] per expert with n >= 1" + ", got "
                                + Arrays.toString(x.shape()) + " for '" + x.name() + "'");
            total += x.shape()[0];
        }
        if (total > options.maxBatchRows())
            throw new IllegalArgumentException("model " + batch + " takes at most " + options.maxBatchRows()
                    + " rows over all experts, got " + total);
        for (String o : req.outputs())
            if (!seen[ExpertBatch.expertOf(o, "output", c)])
                throw new IllegalArgumentException("model " + batch + ": output '" + o + "' has no matching input");
        List<InferTensor> ys = new ArrayList<>(xs.size());
        for (int i = 0; i < xs.size(); i++) {
            InferTensor x = xs.get(i);
            float[] y = batchers.get(batch.member(experts[i])).multiply(x.data(), x.rows());
            ys.add(InferTensor.matrix(ExpertBatch.output(experts[i]), y, x.rows(), out));
        }
        return answer(r, new InferResponse(batch.toString(), req.id(), ys), total, t0);
    }

    private Reply infer(Request r, ModelName name) throws InterruptedException, V2Error {
        long t0 = System.nanoTime();
        ModelConfig c = model.config();
        int in = name.inDim(c), out = name.outDim(c);
        int headerLength = headerLength(r);
        InferRequest req = InferRequest.decode(r.body(), headerLength);
        if (req.inputs().size() != 1 || !req.inputs().getFirst().name().equals(INPUT))
            throw new IllegalArgumentException("model " + name + " takes one input named '" + INPUT + "'");
        for (String o : req.outputs())
            if (!o.equals(OUTPUT))
                throw new IllegalArgumentException(
                        "model " + name + " has one output named '" + OUTPUT + "', not '" + o + "'");
        InferTensor x = req.inputs().getFirst();
        if (x.shape().length != 2 || x.shape()[1] != in || x.shape()[0] < 1 || x.shape()[0] > options.maxBatchRows())
            throw new IllegalArgumentException("model " + name + " takes FP32 [n, " + in + "] with 1 <= n <= "
                    + options.maxBatchRows() + ", got " + Arrays.toString(x.shape()));
        int n = x.rows();
        float[] y = batchers.get(name).multiply(x.data(), n);
        return answer(
                r, new InferResponse(name.toString(), req.id(), List.of(InferTensor.matrix(OUTPUT, y, n, out))), n, t0);
    }

    /** Encodes a reply to an infer call of {@code rows} rows begun at {@code t0}, counting it. */
    private Reply answer(Request r, InferResponse response, long rows, long t0) {
        var reply = response.encode();
        stats.calls.incrementAndGet();
        stats.rows.addAndGet(rows);
        stats.bytesIn.addAndGet(r.body().length);
        stats.bytesOut.addAndGet(reply.bytes().length);
        stats.handlerNanos.addAndGet(System.nanoTime() - t0);
        return new Reply(
                200,
                V2Codec.CONTENT_TYPE,
                Map.of(V2Codec.HEADER_LENGTH, Integer.toString(reply.jsonLength())),
                reply.bytes());
    }

    /** The JSON header length of a binary-extension body; missing means the whole body is JSON, which Veil refuses. */
    private static int headerLength(Request r) throws V2Error {
        String h = r.header(V2Codec.HEADER_LENGTH);
        if (h == null)
            throw new V2Error(
                    400, "missing " + V2Codec.HEADER_LENGTH + ": send tensors with the binary tensor extension");
        try {
            return Integer.parseInt(h.trim());
        } catch (NumberFormatException e) {
            throw new V2Error(400, V2Codec.HEADER_LENGTH + " is not a number: '" + h + "'");
        }
    }

    /** Stops at once: calls in flight fail (clients retry them elsewhere or after a restart). */
    @Override
    public void close() {
        if (socketServer != null) socketServer.close();
        else nettyServer.close(Duration.ZERO);
        LOG.log(System.Logger.Level.INFO, "talaria cloud stopped: {0}", stats);
    }
}
