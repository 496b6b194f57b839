package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.http.EventStream;
import dev.veil.http.Exchange;
import dev.veil.http.HttpService;
import dev.veil.http.Json;
import dev.veil.http.ParsingSlots;
import dev.veil.http.RequestIntake;
import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The trusted, OpenAI-compatible gateway ({@code veil gateway}) on the shared HTTP layer ({@link HttpService}: Netty, a
 * virtual thread per request, the timeouts and connection cap of {@link GatewayOptions#http()}):
 *
 * <ul>
 *   <li>{@code POST /v1/chat/completions}, {@code POST /v1/completions} — JSON or SSE, with usage</li>
 *   <li>{@code GET /v1/models}, {@code GET /health}</li>
 *   <li>{@code GET /} — the chat page: the conversation, and beside it what the untrusted side received each turn when
 *   the operator allows that ({@link GatewayOptions#showUntrusted()}); {@code GET /veil/config} tells the page</li>
 * </ul>
 *
 * Who may call: a Host header that is an IP literal, {@code localhost} or an allowed name (a DNS-rebinding page's own
 * name is none of those), no cross-origin browser request (an Origin that is not this Host), and the API key on
 * {@code /v1/*} when one is set. Resources: bodies over the limit are refused from their Content-Length before any is
 * read, and a few requests at a time are read and parsed ({@link RequestIntake#maxParsing()}).
 *
 * Everything text-shaped happens here (chat template, tokenizer, detokenizer, stop strings); the model is reached only
 * through the {@link PrivateCompletionBackend}. An app that disconnects, streaming or not, cancels its upstream
 * generation at once.
 * Logs hold counts and timings, never text or ids.
 */
public final class GatewayServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GatewayServer.class.getName());
    private static final Map<String, String> PAGES =
            Map.of("/", "index.html", "/index.html", "index.html", "/chat.js", "chat.js", "/chat.css", "chat.css");

    private final GatewayOptions options;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final PrivateCompletionBackend backend;
    private final HttpService http;
    private final ParsingSlots parsing;
    private final byte[] apiKey;
    private final long created = System.currentTimeMillis() / 1000;

    private GatewayServer(GatewayOptions options, Tokenizer tokenizer, PrivateCompletionBackend backend)
            throws IOException {
        this.options = options;
        this.tokenizer = tokenizer;
        this.template = tokenizer.chatTemplate().orElse(null);
        this.backend = backend;
        this.parsing = options.intake().slots();
        this.apiKey = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
        this.http = HttpService.on(options.host(), options.port(), GatewayError::of)
                .limits(options.http())
                .bodyLimit(options.bodyLimit(backend.contextLength()))
                .start(this::route);
    }

    /** Starts serving; port 0 picks a free port ({@link #port()}). {@link #close()} also closes the backend. */
    public static GatewayServer start(GatewayOptions options, Tokenizer tokenizer, PrivateCompletionBackend backend)
            throws IOException {
        GatewayServer g = new GatewayServer(options, tokenizer, backend);
        LOG.log(
                System.Logger.Level.INFO,
                "gateway ({0}) serving {1} on {2}",
                backend.mode(),
                options.modelName(),
                g.uri());
        return g;
    }

    public int port() {
        return http.port();
    }

    public URI uri() {
        return http.uri();
    }

    private void route(Exchange exchange) throws Exception {
        String path = exchange.path();
        String method = exchange.method();
        GatewayError refused = refusal(exchange, path);
        if (refused != null) {
            exchange.sendError(refused);
            return;
        }
        if (PAGES.containsKey(path) && method.equals("GET")) {
            page(exchange, PAGES.get(path));
            return;
        }
        switch (path) {
            case "/v1/chat/completions" -> {
                if (exchange.requireMethod("POST")) complete(exchange, ResponseShapes.CHAT);
            }
            case "/v1/completions" -> {
                if (exchange.requireMethod("POST")) complete(exchange, ResponseShapes.TEXT);
            }
            case "/v1/models" -> {
                if (exchange.requireMethod("GET")) exchange.sendJson(200, models());
            }
            case "/health" -> {
                if (exchange.requireMethod("GET")) exchange.send(200, "text/plain", new byte[0]);
            }
            case "/veil/config" -> {
                if (exchange.requireMethod("GET")) exchange.sendJson(200, config());
            }
            default ->
                exchange.sendError(new GatewayError(
                        404,
                        "invalid_request_error",
                        "no such endpoint: " + method + " " + AppRequest.clip(path),
                        null,
                        null));
        }
    }

    /** Why this request may not be served (403 foreign Host or Origin, 401 missing API key), or null. */
    private GatewayError refusal(Exchange exchange, String path) {
        String host = exchange.header("Host");
        if (host != null && !allowedHost(hostName(host)))
            return new GatewayError(
                    403,
                    "invalid_request_error",
                    "Host " + AppRequest.clip(host) + " is not allowed: start the gateway with "
                            + "--allowed-host NAME to serve a name other than localhost or an IP address",
                    null,
                    "host_not_allowed");
        String origin = exchange.header("Origin");
        if (origin != null && !sameOrigin(origin, host))
            return new GatewayError(
                    403,
                    "invalid_request_error",
                    "cross-origin requests are refused (Origin " + AppRequest.clip(origin) + ")",
                    null,
                    "origin_not_allowed");
        if (apiKey != null && path.startsWith("/v1/")) {
            String auth = exchange.header("Authorization");
            byte[] given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                    ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8)
                    : new byte[0];
            if (!MessageDigest.isEqual(given, apiKey)) { // constant time
                return (GatewayError) new GatewayError(
                                401,
                                "invalid_request_error",
                                auth == null
                                        ? "You didn't provide an API key: send Authorization: Bearer KEY"
                                        : "Incorrect API key provided",
                                null,
                                "invalid_api_key")
                        .withHeader("WWW-Authenticate", "Bearer");
            }
        }
        return null;
    }

    /** IP literals cannot be rebound; names must be localhost, the name the gateway listens on, or named by the operator. */
    private boolean allowedHost(String name) {
        return name.equals("localhost")
                || name.equals(options.host().toLowerCase(Locale.ROOT))
                || options.allowedHosts().contains(name)
                || isIpLiteral(name);
    }

    private static boolean isIpLiteral(String name) {
        if (name.startsWith("[")) return name.endsWith("]");
        String[] parts = name.split("\\.", -1);
        if (parts.length != 4) return false;
        for (String p : parts)
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255)
                return false;
        return true;
    }

    /** The Host header's name, lower case, without the port; an IPv6 literal keeps its brackets. */
    static String hostName(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** A browser's Origin names the page that made the request: it must be this gateway (same host and port). */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null) return false;
        try {
            URI o = new URI(origin.strip());
            if (o.getScheme() == null
                    || o.getRawAuthority() == null
                    || !(o.getScheme().equalsIgnoreCase("http") || o.getScheme().equalsIgnoreCase("https")))
                return false;
            return o.getRawAuthority().equalsIgnoreCase(host.strip());
        } catch (URISyntaxException e) {
            return false; // "null" (sandboxed frames, files) included
        }
    }

    /** What the chat page needs to know: whether it may show the untrusted view, whether /v1 needs a key. */
    private ObjectNode config() {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("mode", backend.mode());
        c.put("show_untrusted", options.showUntrusted());
        c.put("api_key_required", apiKey != null);
        return c;
    }

    /** One chat or text completion, from the app's JSON to the app's answer. */
    private void complete(Exchange exchange, ResponseShapes shape) throws IOException {
        long start = System.nanoTime();
        AppRequest request;
        PrivateStream ids;
        try {
            request = parse(exchange, shape);
            if (request.showUntrusted() && !options.showUntrusted())
                throw new GatewayError(
                        403,
                        "invalid_request_error",
                        "veil_untrusted is off on this gateway: the operator turns it on with "
                                + "--show-untrusted (it shows what the untrusted side received)",
                        "veil_untrusted",
                        null);
            ids = backend.open(new PrivateRequest(
                    request.promptIds(), maxTokens(request), request.sampling(), request.seeded(), tokenizer.eosIds()));
        } catch (GatewayError e) {
            exchange.sendError(e);
            return;
        } catch (UpstreamException e) {
            LOG.log(System.Logger.Level.WARNING, "upstream refused a request: HTTP status for the app {0}", e.status());
            exchange.sendError(GatewayError.upstream(e));
            return;
        }
        // the app went away: cancel upstream now, off the I/O thread (closing an upstream stream may block briefly)
        exchange.onClientGone(() -> Thread.ofVirtual().start(ids::close));
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        String id = shape.idPrefix + HexFormat.of().formatHex(random);
        long now = System.currentTimeMillis() / 1000;
        try (ids) {
            TextStream text = new TextStream(ids, tokenizer, request.stop());
            Answer answer = new Answer(exchange, shape, id, now, request, ids, text);
            if (request.stream()) stream(answer);
            else respond(answer);
            LOG.log(
                    System.Logger.Level.INFO,
                    String.format(
                            Locale.ROOT,
                            "%s: %d prompt tokens, %d generated, finish %s, %.1f ms",
                            shape == ResponseShapes.CHAT ? "chat" : "completion",
                            request.promptIds().length,
                            text.generated(),
                            text.finishReason(),
                            (System.nanoTime() - start) / 1e6));
        }
    }

    /** Parses and tokenizes the body while holding a parsing slot ({@link ParsingSlots}): 503 when none frees up in time. */
    private AppRequest parse(Exchange exchange, ResponseShapes shape) throws GatewayError {
        return parsing.run(
                () -> {
                    JsonNode body = exchange.json(GatewayError.class);
                    return shape == ResponseShapes.CHAT
                            ? AppRequest.chat(body, options.modelName(), tokenizer, template)
                            : AppRequest.completion(body, options.modelName(), tokenizer);
                },
                () -> new GatewayError(
                        503, "server_error", "the gateway is busy reading other requests; retry later", null, null));
    }

    private int maxTokens(AppRequest r) throws GatewayError {
        int context = backend.contextLength();
        int prompt = r.promptIds().length;
        if (context > 0 && prompt >= context)
            throw GatewayError.invalid(
                    "the prompt has " + prompt + " tokens, the model's context holds " + context, "messages");
        if (r.maxTokens() != null) {
            long total = (long) prompt + r.maxTokens(); // max_tokens may be up to 2^31 - 1
            if (context > 0 && total > context)
                throw GatewayError.invalid(
                        "This model's maximum context length is " + context + " tokens. However, you requested " + total
                                + " tokens (" + prompt + " in the messages, " + r.maxTokens() + " in the completion).",
                        "max_tokens");
            return r.maxTokens();
        }
        return context > 0 ? context - prompt : options.defaultMaxTokens();
    }

    /** One answer under way: the app's exchange and request, the upstream's ids and their text. */
    private record Answer(
            Exchange exchange,
            ResponseShapes shape,
            String id,
            long created,
            AppRequest request,
            PrivateStream ids,
            TextStream text) {}

    /** What the untrusted side received, when the request asks and the gateway allows it; else null. */
    private ObjectNode untrusted(Answer a) {
        return a.request().showUntrusted() && options.showUntrusted()
                ? ResponseShapes.untrusted(a.ids().untrustedView())
                : null;
    }

    private static void logAppGone(TextStream text) {
        LOG.log(
                System.Logger.Level.INFO,
                "app disconnected after {0} generated tokens; upstream cancelled",
                text.generated());
    }

    private void respond(Answer a) throws IOException {
        Exchange exchange = a.exchange();
        TextStream text = a.text();
        StringBuilder answer = new StringBuilder();
        try {
            for (String piece; (piece = text.next()) != null; ) answer.append(piece);
        } catch (UpstreamException e) {
            if (exchange.clientGone()) {
                logAppGone(text);
                return;
            }
            exchange.sendError(GatewayError.upstream(e));
            return;
        }
        ObjectNode body = a.shape()
                .complete(
                        a.id(),
                        a.created(),
                        options.modelName(),
                        answer.toString(),
                        text.finishReason(),
                        ResponseShapes.usage(a.request().promptIds().length, text.generated()));
        ObjectNode untrusted = untrusted(a);
        if (untrusted != null) body.set("veil_untrusted", untrusted);
        exchange.sendJson(200, body);
    }

    /** SSE: a chunk per piece of text, a final chunk with the finish reason, the trailer, {@code [DONE]}. */
    private void stream(Answer a) throws IOException {
        Exchange exchange = a.exchange();
        ResponseShapes shape = a.shape();
        String id = a.id();
        long created = a.created();
        TextStream text = a.text();
        String model = options.modelName();
        try (EventStream out = exchange.events("text/event-stream; charset=utf-8")) {
            if (shape == ResponseShapes.CHAT) out.event(shape.delta(id, created, model, "", true, null));
            try {
                for (String piece; (piece = text.next()) != null; )
                    if (!piece.isEmpty()) out.event(shape.delta(id, created, model, piece, false, null));
            } catch (UpstreamException e) {
                if (exchange.clientGone()) throw new IOException("the app went away", e);
                LOG.log(System.Logger.Level.WARNING, "upstream failed mid-stream after {0} tokens", text.generated());
                out.event(GatewayError.upstream(e).body());
                out.done();
                return;
            }
            out.event(shape.delta(id, created, model, null, false, text.finishReason()));
            ObjectNode usage = a.request().includeUsage()
                    ? ResponseShapes.usage(a.request().promptIds().length, text.generated())
                    : null;
            ObjectNode untrusted = untrusted(a);
            if (usage != null || untrusted != null) out.event(shape.trailer(id, created, model, usage, untrusted));
            out.done();
        } catch (IOException e) {
            a.ids().close(); // the app went away: cancel upstream
            logAppGone(text);
        }
    }

    private ObjectNode models() {
        ObjectNode list = Json.MAPPER.createObjectNode();
        list.put("object", "list");
        ObjectNode m = list.putArray("data").addObject();
        m.put("id", options.modelName());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "veil");
        m.put("veil_mode", backend.mode());
        return list;
    }

    /** The parsing slots, for tests that need the gateway busy. */
    Semaphore parsingSlots() {
        return parsing.semaphore();
    }

    private void page(Exchange exchange, String name) throws IOException {
        try (InputStream in = GatewayServer.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new IllegalStateException("missing resource web/" + name);
            String type = name.endsWith(".html")
                    ? "text/html; charset=utf-8"
                    : name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            exchange.send(200, type, in.readAllBytes());
        }
    }

    @Override
    public void close() {
        http.close();
        backend.close();
        LOG.log(System.Logger.Level.INFO, "gateway stopped");
    }
}
