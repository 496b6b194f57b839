package dev.veil.gateway;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The trusted, OpenAI-compatible gateway ({@code veil gateway}) on the JDK HTTP server, a virtual thread per request:
 *
 * <ul>
 *   <li>{@code POST /v1/chat/completions}, {@code POST /v1/completions} — JSON or SSE, with usage</li>
 *   <li>{@code GET /v1/models}, {@code GET /health}</li>
 *   <li>{@code GET /} — the chat page: the conversation beside what the untrusted side received each turn</li>
 * </ul>
 *
 * Everything text-shaped happens here (chat template, tokenizer, detokenizer, stop strings); the model is reached only
 * through the {@link PrivateCompletionBackend}. An app that disconnects mid-stream cancels its upstream generation.
 * Logs hold counts and timings, never text or ids.
 */
public final class GatewayServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GatewayServer.class.getName());
    private static final int MAX_BODY_BYTES = 8 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
    private static final Map<String, String> PAGES = Map.of(
            "/", "index.html", "/index.html", "index.html", "/chat.js", "chat.js", "/chat.css", "chat.css");

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(64).maxStringLength(MAX_BODY_BYTES).build());
    }

    private final GatewayOptions options;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final PrivateCompletionBackend backend;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final long created = System.currentTimeMillis() / 1000;

    private GatewayServer(GatewayOptions options, Tokenizer tokenizer, PrivateCompletionBackend backend) throws IOException {
        this.options = options;
        this.tokenizer = tokenizer;
        this.template = tokenizer.chatTemplate().orElse(null);
        this.backend = backend;
        try {
            this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 1024);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
        http.setExecutor(executor);
        http.createContext("/", this::route);
    }

    /** Starts serving; port 0 picks a free port ({@link #port()}). {@link #close()} also closes the backend. */
    public static GatewayServer start(GatewayOptions options, Tokenizer tokenizer, PrivateCompletionBackend backend) throws IOException {
        GatewayServer g = new GatewayServer(options, tokenizer, backend);
        g.http.start();
        LOG.log(System.Logger.Level.INFO, "gateway ({0}) serving {1} on {2}", backend.mode(), options.modelName(), g.uri());
        return g;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public URI uri() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return URI.create("http://" + host + ":" + port());
    }

    private void route(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (PAGES.containsKey(path) && method.equals("GET")) {
                page(exchange, PAGES.get(path));
                return;
            }
            switch (path) {
                case "/v1/chat/completions" -> {
                    if (requireMethod(exchange, "POST")) complete(exchange, ResponseShapes.CHAT);
                }
                case "/v1/completions" -> {
                    if (requireMethod(exchange, "POST")) complete(exchange, ResponseShapes.TEXT);
                }
                case "/v1/models" -> {
                    if (requireMethod(exchange, "GET")) sendJson(exchange, 200, models());
                }
                case "/health" -> {
                    if (requireMethod(exchange, "GET")) send(exchange, 200, "text/plain", new byte[0]);
                }
                default -> sendError(exchange, new GatewayError(404, "invalid_request_error",
                        "no such endpoint: " + method + " " + AppRequest.clip(path), null, null));
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "request failed: " + e.getClass().getSimpleName());
            try {
                sendError(exchange, new GatewayError(500, "server_error", "internal error", null, null));
            } catch (IOException | RuntimeException ignored) {
                // the response had started; the connection closes
            }
        }
    }

    /** One chat or text completion, from the app's JSON to the app's answer. */
    private void complete(HttpExchange exchange, ResponseShapes shape) throws IOException {
        long start = System.nanoTime();
        AppRequest request;
        PrivateStream ids;
        try {
            JsonNode body = readJson(exchange);
            request = shape == ResponseShapes.CHAT
                    ? AppRequest.chat(body, options.modelName(), tokenizer, template)
                    : AppRequest.completion(body, options.modelName(), tokenizer);
            ids = backend.open(new PrivateRequest(request.promptIds(), maxTokens(request), request.sampling(), request.seeded(),
                    tokenizer.eosIds()));
        } catch (GatewayError e) {
            sendError(exchange, e);
            return;
        } catch (UpstreamException e) {
            LOG.log(System.Logger.Level.WARNING, "upstream refused a request: HTTP status for the app {0}", e.status());
            sendError(exchange, GatewayError.upstream(e));
            return;
        }
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        String id = shape.idPrefix + HexFormat.of().formatHex(random);
        long now = System.currentTimeMillis() / 1000;
        try (ids) {
            TextStream text = new TextStream(ids, tokenizer, request.stop());
            if (request.stream()) stream(exchange, shape, id, now, request, ids, text);
            else respond(exchange, shape, id, now, request, ids, text);
            LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "%s: %d prompt tokens, %d generated, finish %s, %.1f ms",
                    shape == ResponseShapes.CHAT ? "chat" : "completion", request.promptIds().length, text.generated(),
                    text.finishReason(), (System.nanoTime() - start) / 1e6));
        }
    }

    private int maxTokens(AppRequest r) throws GatewayError {
        int context = backend.contextLength();
        int prompt = r.promptIds().length;
        if (context > 0 && prompt >= context)
            throw GatewayError.invalid("the prompt has " + prompt + " tokens, the model's context holds " + context, "messages");
        if (r.maxTokens() != null) {
            if (context > 0 && prompt + r.maxTokens() > context)
                throw GatewayError.invalid("This model's maximum context length is " + context + " tokens. However, you requested "
                        + (prompt + r.maxTokens()) + " tokens (" + prompt + " in the messages, " + r.maxTokens() + " in the completion).",
                        "max_tokens");
            return r.maxTokens();
        }
        return context > 0 ? context - prompt : options.defaultMaxTokens();
    }

    private void respond(HttpExchange exchange, ResponseShapes shape, String id, long created, AppRequest request, PrivateStream ids,
                         TextStream text) throws IOException {
        StringBuilder answer = new StringBuilder();
        try {
            for (String piece; (piece = text.next()) != null; ) answer.append(piece);
        } catch (UpstreamException e) {
            sendError(exchange, GatewayError.upstream(e));
            return;
        }
        ObjectNode body = shape.complete(id, created, options.modelName(), answer.toString(), text.finishReason(),
                ResponseShapes.usage(request.promptIds().length, text.generated()));
        if (request.showUntrusted()) body.set("veil_untrusted", ResponseShapes.untrusted(ids.untrustedView()));
        sendJson(exchange, 200, body);
    }

    /** SSE: a chunk per piece of text, a final chunk with the finish reason, the trailer, {@code [DONE]}. */
    private void stream(HttpExchange exchange, ResponseShapes shape, String id, long created, AppRequest request, PrivateStream ids,
                        TextStream text) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        String model = options.modelName();
        try {
            if (shape == ResponseShapes.CHAT) event(out, shape.delta(id, created, model, "", true, null));
            try {
                for (String piece; (piece = text.next()) != null; )
                    if (!piece.isEmpty()) event(out, shape.delta(id, created, model, piece, false, null));
            } catch (UpstreamException e) {
                LOG.log(System.Logger.Level.WARNING, "upstream failed mid-stream after {0} tokens", text.generated());
                event(out, GatewayError.upstream(e).body());
                out.write(DONE);
                return;
            }
            event(out, shape.delta(id, created, model, null, false, text.finishReason()));
            ObjectNode usage = request.includeUsage() ? ResponseShapes.usage(request.promptIds().length, text.generated()) : null;
            ObjectNode untrusted = request.showUntrusted() ? ResponseShapes.untrusted(ids.untrustedView()) : null;
            if (usage != null || untrusted != null) event(out, shape.trailer(id, created, model, usage, untrusted));
            out.write(DONE);
            out.flush();
        } catch (IOException e) {
            ids.close(); // the app went away: cancel upstream
            LOG.log(System.Logger.Level.INFO, "app disconnected after {0} generated tokens; upstream cancelled", text.generated());
        }
    }

    private static void event(OutputStream out, ObjectNode data) throws IOException {
        out.write("data: ".getBytes(StandardCharsets.UTF_8));
        out.write(JSON.writeValueAsBytes(data));
        out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode models() {
        ObjectNode list = JSON.createObjectNode();
        list.put("object", "list");
        ObjectNode m = list.putArray("data").addObject();
        m.put("id", options.modelName());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "veil");
        m.put("veil_mode", backend.mode());
        return list;
    }

    private static JsonNode readJson(HttpExchange exchange) throws IOException, GatewayError {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES)
            throw new GatewayError(413, "invalid_request_error", "the request body exceeds " + MAX_BODY_BYTES + " bytes", null, null);
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || n.isMissingNode()) throw GatewayError.invalid("the request body is empty: expected a JSON object", null);
            return n;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw GatewayError.invalid("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        }
    }

    private void page(HttpExchange exchange, String name) throws IOException {
        try (InputStream in = GatewayServer.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new IllegalStateException("missing resource web/" + name);
            String type = name.endsWith(".html") ? "text/html; charset=utf-8"
                    : name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            send(exchange, 200, type, in.readAllBytes());
        }
    }

    private static boolean requireMethod(HttpExchange exchange, String method) throws IOException {
        if (exchange.getRequestMethod().equals(method)) return true;
        exchange.getResponseHeaders().set("Allow", method);
        sendError(exchange, new GatewayError(405, "invalid_request_error", "use " + method + " for this endpoint", null, null));
        return false;
    }

    private static void sendError(HttpExchange exchange, GatewayError e) throws IOException {
        sendJson(exchange, e.status(), e.body());
    }

    private static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        http.stop(1);
        executor.shutdownNow();
        backend.close();
        LOG.log(System.Logger.Level.INFO, "gateway stopped");
    }
}
