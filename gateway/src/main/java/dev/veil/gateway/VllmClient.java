package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.SamplingParams;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The upstream client: streams completions over token ids from an untrusted server in one of its
 * {@linkplain UpstreamDialect dialects} — vLLM's (Veil's own {@code veil serve}, or {@code vllm serve
 * --skip-tokenizer-init} on the obfuscated checkpoint, docs/vllm.md) or llama.cpp's {@code llama-server} on the
 * obfuscated GGUF (docs/llama-server.md). The dialect spells the request and reads each event; HTTP, SSE framing,
 * timeouts, limits and cancellation are the same for all.
 *
 * <p>Timeouts: connecting, waiting for the response headers, and the longest silence between two chunks (a server
 * that stops mid-stream). Closing a {@link TokenStream} aborts its HTTP exchange, which cancels the generation upstream.
 */
public final class VllmClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param connect   establishing the TCP connection
     * @param firstByte from sending the request to the response headers
     * @param idle      the longest gap between two chunks of a stream
     */
    public record Timeouts(Duration connect, Duration firstByte, Duration idle) {
        public static Timeouts defaults() {
            return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(120), Duration.ofSeconds(120));
        }
    }

    /**
     * What to generate, in upstream (obfuscated) ids, with the engine's sampling settings; {@code seeded} false lets
     * the upstream choose the seed. The penalties and min-p travel in vLLM's names and only when they are on, so a
     * request without them looks as it always did.
     */
    public record Params(int maxTokens, SamplingParams sampling, boolean seeded, Set<Integer> stopTokenIds) {

        /** No min-p, no penalties; {@code seed} null lets the upstream choose. */
        public Params(int maxTokens, double temperature, double topP, int topK, Long seed, Set<Integer> stopTokenIds) {
            this(
                    maxTokens,
                    new SamplingParams(temperature, topK, topP, seed == null ? 0 : seed),
                    seed != null,
                    stopTokenIds);
        }

        /** The seed to send, or null when the upstream chooses. */
        public Long seed() {
            return seeded ? sampling.seed() : null;
        }
    }

    /** Which server the gateway talks to ({@code --upstream-kind}); AUTO asks {@code /props}, which only llama-server has. */
    public enum Kind {
        AUTO,
        VLLM,
        LLAMA_SERVER;

        /** From the option's spelling: {@code auto}, {@code vllm}, {@code llama-server}. */
        public static Kind parse(String s) {
            return switch (s) {
                case "auto" -> AUTO;
                case "vllm" -> VLLM;
                case "llama-server" -> LLAMA_SERVER;
                default ->
                    throw new IllegalArgumentException("unknown upstream kind '" + s + "': auto, vllm or llama-server");
            };
        }
    }

    private final URI completions;
    private final UpstreamDialect dialect;
    private final String model;
    private final int contextLength;
    private final Timeouts timeouts;
    private final HttpClient http;
    private final Set<TokenStream> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog;

    private VllmClient(
            URI base, UpstreamDialect dialect, String model, int contextLength, Timeouts timeouts, HttpClient http) {
        this.completions = base.resolve(dialect.path());
        this.dialect = dialect;
        this.model = model;
        this.contextLength = contextLength;
        this.timeouts = timeouts;
        this.http = http;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("veil-upstream-watchdog").daemon().factory());
        long period = Math.max(10, timeouts.idle().toMillis() / 4);
        watchdog.scheduleAtFixedRate(this::closeIdleStreams, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to a vLLM-compatible upstream at {@code base} (e.g. {@code http://127.0.0.1:8000}) and reads
     * {@code /v1/models}: the model to use ({@code model}, or the only one served when null) and its
     * {@code max_model_len} when given.
     */
    public static VllmClient connect(URI base, String model, Timeouts timeouts) throws UpstreamException {
        return connect(base, model, timeouts, Kind.VLLM);
    }

    /**
     * Connects to an upstream of the given kind; {@link Kind#AUTO} takes a server whose {@code GET /props} answers with
     * {@code default_generation_settings} for llama-server, any other for vLLM. llama-server's context length is its
     * per-slot {@code n_ctx} from {@code /props}.
     */
    public static VllmClient connect(URI base, String model, Timeouts timeouts, Kind kind) throws UpstreamException {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeouts.connect())
                .build();
        JsonNode props = null;
        if (kind != Kind.VLLM) {
            HttpResponse<String> r = get(http, base, "/props", timeouts);
            if (r.statusCode() == 200) props = parse(base, "/props", r.body()).path("default_generation_settings");
            if (props == null || !props.isObject()) {
                if (kind == Kind.LLAMA_SERVER)
                    throw new UpstreamException(
                            502,
                            "the upstream at " + base + " is not llama-server: GET /props answered HTTP "
                                    + r.statusCode()
                                    + (r.statusCode() == 200 ? " without default_generation_settings" : ""));
                props = null;
            }
        }
        HttpResponse<String> r = get(http, base, "/v1/models", timeouts);
        if (r.statusCode() != 200)
            throw new UpstreamException(502, "upstream " + base + " answered /v1/models with HTTP " + r.statusCode());
        JsonNode models = parse(base, "/v1/models", r.body()).path("data");
        JsonNode chosen = null;
        if (model == null) {
            if (models.size() != 1)
                throw new UpstreamException(
                        502,
                        "the upstream at " + base + " serves " + models.size()
                                + " models; name one (--upstream-model)");
            chosen = models.get(0);
        } else {
            for (JsonNode m : models) if (model.equals(m.path("id").asText())) chosen = m;
            if (chosen == null)
                throw new UpstreamException(502, "the upstream at " + base + " does not serve a model named " + model);
        }
        // llama-server states its context in /props, vLLM per model
        boolean llama = props != null;
        return new VllmClient(
                base,
                llama ? UpstreamDialect.LLAMA_SERVER : UpstreamDialect.VLLM,
                chosen.path("id").asText(),
                llama
                        ? props.path("n_ctx").asInt(0)
                        : chosen.path("max_model_len").asInt(0),
                timeouts,
                http);
    }

    private static HttpResponse<String> get(HttpClient http, URI base, String path, Timeouts timeouts)
            throws UpstreamException {
        try {
            return http.send(
                    HttpRequest.newBuilder(base.resolve(path))
                            .timeout(timeouts.firstByte())
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UpstreamException(502, "cannot reach the upstream at " + base + ": " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(502, "interrupted while connecting to the upstream", e);
        }
    }

    private static JsonNode parse(URI base, String path, String body) throws UpstreamException {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UpstreamException(
                    502, "the upstream at " + base + " answered " + path + " with something that is not JSON", e);
        }
    }

    /** The dialect this client speaks. */
    public UpstreamDialect dialect() {
        return dialect;
    }

    /** The upstream's model id (sent as {@code model}). */
    public String model() {
        return model;
    }

    /** {@code max_model_len} from the upstream's {@code /v1/models}, or 0 when it did not say. */
    public int contextLength() {
        return contextLength;
    }

    /** The request body for {@code prompt}: exactly what the untrusted side receives. */
    public ObjectNode requestBody(int[] prompt, Params p) {
        return dialect.requestBody(model, contextLength, prompt, p);
    }

    /** Starts a streamed completion; the first chunk has not been read yet. */
    public TokenStream stream(int[] prompt, Params p) throws UpstreamException {
        HttpRequest request = HttpRequest.newBuilder(completions)
                .timeout(timeouts.firstByte())
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(requestBody(prompt, p))))
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new UpstreamException(
                    504,
                    "the upstream did not answer within " + timeouts.firstByte().toSeconds() + " s",
                    e);
        } catch (IOException e) {
            throw new UpstreamException(502, "cannot reach the upstream: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(502, "interrupted while calling the upstream", e);
        }
        if (response.statusCode() != 200) throw refused(response);
        TokenStream s =
                new TokenStream(response.body(), p.maxTokens(), dialect.honoursStopIds() ? Set.of() : p.stopTokenIds());
        open.add(s);
        return s;
    }

    private static UpstreamException refused(HttpResponse<InputStream> response) {
        String message;
        try (InputStream in = response.body()) {
            JsonNode body = JSON.readTree(in.readNBytes(1 << 16));
            JsonNode error = body.path("error"); // OpenAI shape; older vLLM put "message" at the top level
            message = error.isObject()
                    ? error.path("message").asText()
                    : body.path("message").asText(error.asText());
        } catch (IOException | RuntimeException e) {
            message = "";
        }
        int status = response.statusCode();
        int mapped = switch (status) {
            case 400, 413, 422 -> 400;
            case 429, 503 -> status;
            default -> 502;
        };
        return new UpstreamException(
                mapped,
                "the upstream refused the request (HTTP " + status + ")" + (message.isEmpty() ? "" : ": " + message));
    }

    private void closeIdleStreams() {
        long now = System.nanoTime();
        for (TokenStream s : open) if (now - s.lastActivity > timeouts.idle().toNanos()) s.abort(true);
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        open.forEach(s -> s.abort(false));
        http.close();
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One id from an event; the upstream is untrusted, so anything but an int is a 502. */
    static int id(JsonNode id) throws UpstreamException {
        if (!id.canConvertToInt())
            throw new UpstreamException(502, "the upstream sent a token id that is not an integer");
        return id.asInt();
    }

    /**
     * An event's token ids ({@code ids}, an array or absent); an event with {@code text} but no ids is a 502 saying
     * {@code textOnly}: the gateway never reads the upstream's text, only its ids.
     */
    static List<Integer> ids(JsonNode ids, String text, String textOnly) throws UpstreamException {
        List<Integer> out = new ArrayList<>();
        if (ids != null && ids.isArray()) {
            for (JsonNode id : ids) out.add(id(id));
        } else if (!text.isEmpty()) {
            throw new UpstreamException(502, textOnly);
        }
        return out;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }

    /**
     * One streamed completion: ids in the order generated, then {@code -1}. Reads server-sent events, skipping comments
     * and the usage chunk; stops at the first of {@code clientStops} (the stop ids a dialect cannot send) and closes the
     * exchange, which cancels the rest upstream; an {@code error} event, a broken connection, a silence longer than the idle timeout or a
     * stream that ends without {@code finish_reason} raise {@link UpstreamException}. The upstream is untrusted: an event
     * line over {@link #MAX_LINE} characters, or more ids than were asked for, is a 502 too, not a buffer that grows.
     */
    public final class TokenStream implements AutoCloseable {
        static final int MAX_LINE = 1 << 20;
        private final InputStream body;
        private final BufferedReader reader;
        private final int maxTokens;
        private final Set<Integer> clientStops;
        private int received;
        private final ArrayDeque<Integer> pending = new ArrayDeque<>();
        private volatile long lastActivity = System.nanoTime();
        private volatile boolean timedOut;
        private String finishReason;
        private boolean ended;

        private TokenStream(InputStream body, int maxTokens, Set<Integer> clientStops) {
            this.body = body;
            this.maxTokens = maxTokens;
            this.clientStops = clientStops;
            this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        }

        /** The next upstream id, or -1 when the stream has finished. */
        public int next() throws UpstreamException {
            while (pending.isEmpty()) {
                if (ended) return -1;
                readChunk();
            }
            return pending.poll();
        }

        /** The finish reason ({@code "stop"}, {@code "length"}, ...) once finished, else null. */
        public String finishReason() {
            return finishReason;
        }

        private void readChunk() throws UpstreamException {
            String line;
            try {
                line = readLine();
            } catch (IOException e) {
                throw broken(e);
            }
            lastActivity = System.nanoTime();
            if (line == null) {
                if (timedOut) throw broken(null);
                ended = true;
                close();
                if (finishReason == null)
                    throw new UpstreamException(502, "the upstream closed the stream before it finished");
                return;
            }
            if (!line.startsWith("data:")) return; // blank separators, comments (keep-alives), event/id fields
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) {
                ended = true;
                close();
                if (finishReason == null)
                    throw new UpstreamException(502, "the upstream ended the stream without a finish_reason");
                return;
            }
            JsonNode chunk;
            try {
                chunk = JSON.readTree(data);
            } catch (IOException e) {
                throw new UpstreamException(502, "the upstream sent an event that is not JSON");
            }
            JsonNode error = chunk.get("error");
            if (error != null) {
                int code = error.path("code").asInt(502);
                throw new UpstreamException(
                        code == 503 || code == 429 ? code : 502,
                        "the upstream failed mid-stream: "
                                + error.path("message").asText("unknown error"));
            }
            UpstreamDialect.Event event = dialect.read(chunk, received);
            for (int id : event.ids()) {
                if (++received > maxTokens) {
                    close();
                    throw new UpstreamException(502, "the upstream sent more than the " + maxTokens + " ids asked for");
                }
                pending.add(id);
                if (clientStops.contains(id)) {
                    finishReason = "stop";
                    ended = true;
                    close(); // the server would go on: this cancels it
                    return;
                }
            }
            if (event.finishReason() != null) finishReason = event.finishReason();
        }

        /** One line without its end, or null at the end of the stream; a line over MAX_LINE is a 502. */
        private String readLine() throws IOException, UpstreamException {
            StringBuilder line = new StringBuilder(256);
            for (int c; (c = reader.read()) >= 0; ) {
                if (c == '\n') return line.toString();
                if (c != '\r') line.append((char) c);
                if (line.length() > MAX_LINE) {
                    close();
                    throw new UpstreamException(
                            502, "the upstream sent an event line over " + MAX_LINE + " characters");
                }
            }
            return line.isEmpty() ? null : line.toString();
        }

        private UpstreamException broken(IOException e) {
            close();
            if (timedOut)
                return new UpstreamException(
                        504, "the upstream sent nothing for " + timeouts.idle().toSeconds() + " s");
            return new UpstreamException(
                    502, "the connection to the upstream broke mid-stream" + (e == null ? "" : ": " + describe(e)), e);
        }

        /** Ends the exchange: before the end this cancels the generation upstream. */
        @Override
        public void close() {
            abort(false);
        }

        private void abort(boolean timeout) {
            if (timeout) timedOut = true;
            open.remove(this);
            try {
                body.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
    }
}
