package dev.veil.talaria.cloud;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.InferRequest;
import dev.veil.talaria.protocol.InferResponse;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.ModelName;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Talaria weight service: every weight product of the model as its own stateless Open Inference Protocol
 * (KServe V2) model, FP32 rows in and out with the binary tensor extension. It sees only masked rows; it keeps no
 * state between calls (so a restarted or replicated cloud answers the same), batches the rows of concurrent calls to
 * one product into one matmul, and logs counts and timings only, never a payload.
 *
 * <p>Endpoints: {@code GET /v2}, {@code /v2/health/live}, {@code /v2/health/ready}, {@code /v2/models/{name}},
 * {@code /v2/models/{name}/ready}, {@code POST /v2/models/{name}/infer} (also under {@code /versions/1}),
 * {@code GET /v2/talaria/config} (the model's config.json, Veil's extension), {@code GET /metrics}.
 */
public final class CloudServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CloudServer.class.getName());

    static {
        // The JDK server leaves Nagle's algorithm on by default: a reply written as headers then body would wait for
        // the client's delayed ACK. Read once, when the first HttpServer starts.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    static final String INPUT = "input";
    static final String OUTPUT = "output";

    /**
     * @param batchWindow how long a batch waits for more calls before it runs (zero: run at once and batch only the
     *                    calls that queued up meanwhile)
     * @param maxBatchRows rows per matmul at most
     * @param parallel    the kernel thread pool the matmuls run on
     */
    public record Options(String host, int port, Duration batchWindow, int maxBatchRows, Parallel parallel) {
        public Options {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
            if (batchWindow.isNegative()) throw new IllegalArgumentException("batch window must not be negative");
            if (maxBatchRows < 1) throw new IllegalArgumentException("max batch rows must be >= 1");
        }

        public static Options loopback(int port) {
            return new Options("127.0.0.1", port, Duration.ZERO, 4096, Parallel.shared());
        }
    }

    private final FoldedModel model;
    private final Options options;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<ModelName, Batcher> batchers = new LinkedHashMap<>();
    private final CloudStats stats = new CloudStats();
    private final byte[] configJson;

    private CloudServer(FoldedModel model, Options options) throws IOException {
        this.model = model;
        this.options = options;
        this.configJson = Exchanges.JSON.writeValueAsBytes(model.config().toJson());
        for (ModelName n : ModelName.all(model.config()))
            batchers.put(n, new Batcher(model.get(n), options.parallel(), options.batchWindow().toNanos(), options.maxBatchRows(), stats));
        http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 256);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /** Starts serving {@code model}; port 0 picks a free port (see {@link #port()}). */
    public static CloudServer start(FoldedModel model, Options options) throws IOException {
        CloudServer s = new CloudServer(model, options);
        s.http.start();
        LOG.log(System.Logger.Level.INFO, "talaria cloud serving {0} products of a {1}-layer model on {2}",
                s.batchers.size(), model.config().numLayers(), s.uri());
        return s;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public URI uri() {
        return URI.create("http://" + options.host() + ":" + port());
    }

    public CloudStats stats() {
        return stats;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (Exchanges.HttpError e) {
                stats.errors.incrementAndGet();
                Exchanges.sendError(ex, e.status, e.getMessage());
            } catch (IllegalArgumentException e) {
                stats.errors.incrementAndGet();
                Exchanges.sendError(ex, 400, e.getMessage());
            } catch (IllegalStateException e) {
                stats.errors.incrementAndGet();
                Exchanges.sendError(ex, 503, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Exchanges.sendError(ex, 503, "the cloud is shutting down");
            }
        }
    }

    private void route(HttpExchange ex) throws IOException, InterruptedException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        List<String> parts = List.of(path.replaceAll("^/+|/+$", "").split("/+"));
        if (method.equals("GET")) {
            switch (path) {
                case "/v2/health/live", "/v2/health/ready" -> {
                    Exchanges.send(ex, 200, "application/json", new byte[0], Map.of());
                    return;
                }
                case "/v2" -> {
                    Exchanges.sendJson(ex, 200, Map.of("name", "veil-talaria-cloud", "version", "0.1.0",
                            "extensions", List.of("binary_tensor_data", "talaria_config")));
                    return;
                }
                case "/v2/talaria/config" -> {
                    Exchanges.send(ex, 200, "application/json", configJson, Map.of());
                    return;
                }
                case "/metrics" -> {
                    Exchanges.sendText(ex, stats.prometheus());
                    return;
                }
                default -> {}
            }
        }
        if (parts.size() >= 3 && parts.get(0).equals("v2") && parts.get(1).equals("models")) {
            ModelName name;
            try {
                name = ModelName.parse(parts.get(2), model.config());
            } catch (IllegalArgumentException e) {
                throw new Exchanges.HttpError(404, e.getMessage());
            }
            List<String> rest = parts.subList(3, parts.size());
            if (rest.size() >= 2 && rest.get(0).equals("versions")) {
                if (!rest.get(1).equals("1")) throw new Exchanges.HttpError(404, "model " + name + " has only version 1");
                rest = rest.subList(2, rest.size());
            }
            String action = rest.isEmpty() ? "" : String.join("/", rest);
            if (method.equals("GET") && action.isEmpty()) {
                Exchanges.sendJson(ex, 200, metadata(name));
                return;
            }
            if (method.equals("GET") && action.equals("ready")) {
                Exchanges.send(ex, 200, "application/json", new byte[0], Map.of());
                return;
            }
            if (method.equals("POST") && action.equals("infer")) {
                infer(ex, name);
                return;
            }
        }
        throw new Exchanges.HttpError(404, method + " " + path + " is not an endpoint of the Talaria cloud");
    }

    private Map<String, Object> metadata(ModelName name) {
        ModelConfig c = model.config();
        return Map.of("name", name.toString(), "versions", List.of("1"), "platform", "veil_talaria",
                "inputs", List.of(Map.of("name", INPUT, "datatype", "FP32", "shape", List.of(-1, name.inDim(c)))),
                "outputs", List.of(Map.of("name", OUTPUT, "datatype", "FP32", "shape", List.of(-1, name.outDim(c)))));
    }

    private void infer(HttpExchange ex, ModelName name) throws IOException, InterruptedException {
        ModelConfig c = model.config();
        int in = name.inDim(c), out = name.outDim(c);
        int headerLength = Exchanges.headerLength(ex);
        byte[] body = Exchanges.body(ex, 65536L + 4L * options.maxBatchRows() * in);
        InferRequest req = InferRequest.decode(body, headerLength);
        if (req.inputs().size() != 1 || !req.inputs().getFirst().name().equals(INPUT))
            throw new IllegalArgumentException("model " + name + " takes one input named '" + INPUT + "'");
        for (String o : req.outputs())
            if (!o.equals(OUTPUT)) throw new IllegalArgumentException("model " + name + " has one output named '" + OUTPUT + "', not '" + o + "'");
        InferTensor x = req.inputs().getFirst();
        if (x.shape().length != 2 || x.shape()[1] != in || x.shape()[0] < 1 || x.shape()[0] > options.maxBatchRows())
            throw new IllegalArgumentException("model " + name + " takes FP32 [n, " + in + "] with 1 <= n <= "
                    + options.maxBatchRows() + ", got " + java.util.Arrays.toString(x.shape()));
        int n = x.rows();
        float[] y = batchers.get(name).multiply(x.data(), n);
        var reply = new InferResponse(name.toString(), req.id(), List.of(InferTensor.matrix(OUTPUT, y, n, out))).encode();
        stats.calls.incrementAndGet();
        stats.rows.addAndGet(n);
        stats.bytesIn.addAndGet(body.length);
        stats.bytesOut.addAndGet(reply.bytes().length);
        Exchanges.sendBinary(ex, reply);
    }

    /** Stops at once: calls in flight fail (clients retry them elsewhere or after a restart). */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        LOG.log(System.Logger.Level.INFO, "talaria cloud stopped: {0}", stats);
    }
}
