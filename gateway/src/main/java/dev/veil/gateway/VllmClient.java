package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The upstream client: streams completions from a vLLM-compatible server over token ids — Veil's own
 * {@code veil serve}, or {@code vllm serve --skip-tokenizer-init} on the obfuscated checkpoint (docs/vllm.md). It sends
 * {@code prompt} as a list of ids with {@code return_token_ids: true} and reads each SSE chunk's
 * {@code choices[0].token_ids} and {@code finish_reason}.
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
     * What to generate, in upstream (obfuscated) ids; {@code seed} null lets the upstream choose. The penalties and
     * min-p travel in vLLM's names and only when they are on, so a request without them looks as it always did.
     */
    public record Params(int maxTokens, double temperature, double topP, int topK, Long seed, Set<Integer> stopTokenIds,
                         double minP, double repetitionPenalty, double presencePenalty, double frequencyPenalty) {

        /** No min-p, no penalties. */
        public Params(int maxTokens, double temperature, double topP, int topK, Long seed, Set<Integer> stopTokenIds) {
            this(maxTokens, temperature, topP, topK, seed, stopTokenIds, 0, 1, 0, 0);
        }
    }

    private final URI completions;
    private final String model;
    private final int contextLength;
    private final Timeouts timeouts;
    private final HttpClient http;
    private final Set<TokenStream> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog;

    private VllmClient(URI base, String model, int contextLength, Timeouts timeouts, HttpClient http) {
        this.completions = base.resolve("/v1/completions");
        this.model = model;
        this.contextLength = contextLength;
        this.timeouts = timeouts;
        this.http = http;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("veil-upstream-watchdog").daemon().factory());
        long period = Math.max(10, timeouts.idle().toMillis() / 4);
        watchdog.scheduleAtFixedRate(this::closeIdleStreams, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to the upstream at {@code base} (e.g. {@code http://127.0.0.1:8000}) and reads {@code /v1/models}: the
     * model to use ({@code model}, or the only one served when null) and its {@code max_model_len} when given.
     */
    public static VllmClient connect(URI base, String model, Timeouts timeouts) throws UpstreamException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeouts.connect()).build();
        JsonNode models;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/models")).timeout(timeouts.firstByte()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new UpstreamException(502, "upstream " + base + " answered /v1/models with HTTP " + r.statusCode());
            models = JSON.readTree(r.body()).path("data");
        } catch (IOException e) {
            throw new UpstreamException(502, "cannot reach the upstream at " + base + ": " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(502, "interrupted while connecting to the upstream", e);
        }
        JsonNode chosen = null;
        if (model == null) {
            if (models.size() != 1)
                throw new UpstreamException(502, "the upstream at " + base + " serves " + models.size() + " models; name one (--upstream-model)");
            chosen = models.get(0);
        } else {
            for (JsonNode m : models) if (model.equals(m.path("id").asText())) chosen = m;
            if (chosen == null) throw new UpstreamException(502, "the upstream at " + base + " does not serve a model named " + model);
        }
        return new VllmClient(base, chosen.path("id").asText(), chosen.path("max_model_len").asInt(0), timeouts, http);
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
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        ArrayNode ids = body.putArray("prompt");
        for (int id : prompt) ids.add(id);
        body.put("max_tokens", p.maxTokens());
        body.put("temperature", p.temperature());
        body.put("top_p", p.topP());
        if (p.topK() > 0) body.put("top_k", p.topK());
        if (p.minP() != 0) body.put("min_p", p.minP());
        if (p.repetitionPenalty() != 1) body.put("repetition_penalty", p.repetitionPenalty());
        if (p.presencePenalty() != 0) body.put("presence_penalty", p.presencePenalty());
        if (p.frequencyPenalty() != 0) body.put("frequency_penalty", p.frequencyPenalty());
        if (p.seed() != null) body.put("seed", p.seed());
        ArrayNode stops = body.putArray("stop_token_ids");
        p.stopTokenIds().stream().sorted().forEach(stops::add);
        body.put("stream", true);
        body.put("return_token_ids", true);
        return body;
    }

    /** Starts a streamed completion; the first chunk has not been read yet. */
    public TokenStream stream(int[] prompt, Params p) throws UpstreamException {
        HttpRequest request = HttpRequest.newBuilder(completions).timeout(timeouts.firstByte())
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(requestBody(prompt, p)))).build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new UpstreamException(504, "the upstream did not answer within " + timeouts.firstByte().toSeconds() + " s", e);
        } catch (IOException e) {
            throw new UpstreamException(502, "cannot reach the upstream: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(502, "interrupted while calling the upstream", e);
        }
        if (response.statusCode() != 200) throw refused(response);
        TokenStream s = new TokenStream(response.body(), p.maxTokens());
        open.add(s);
        return s;
    }

    private static UpstreamException refused(HttpResponse<InputStream> response) {
        String message;
        try (InputStream in = response.body()) {
            JsonNode body = JSON.readTree(in.readNBytes(1 << 16));
            JsonNode error = body.path("error"); // OpenAI shape; older vLLM put "message" at the top level
            message = error.isObject() ? error.path("message").asText() : body.path("message").asText(error.asText());
        } catch (IOException | RuntimeException e) {
            message = "";
        }
        int status = response.statusCode();
        int mapped = switch (status) {
            case 400, 413, 422 -> 400;
            case 429, 503 -> status;
            default -> 502;
        };
        return new UpstreamException(mapped, "the upstream refused the request (HTTP " + status + ")" + (message.isEmpty() ? "" : ": " + message));
    }

    private void closeIdleStreams() {
        long now = System.nanoTime();
        for (TokenStream s : open)
            if (now - s.lastActivity > timeouts.idle().toNanos()) s.abort(true);
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

    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
    }

    /**
     * One streamed completion: ids in the order generated, then {@code -1}. Reads server-sent events, skipping comments
     * and the usage chunk; an {@code error} event, a broken connection, a silence longer than the idle timeout or a
     * stream that ends without {@code finish_reason} raise {@link UpstreamException}. The upstream is untrusted: an event
     * line over {@link #MAX_LINE} characters, or more ids than were asked for, is a 502 too, not a buffer that grows.
     */
    public final class TokenStream implements AutoCloseable {
        static final int MAX_LINE = 1 << 20;
        private final InputStream body;
        private final BufferedReader reader;
        private final int maxTokens;
        private int received;
        private final ArrayDeque<Integer> pending = new ArrayDeque<>();
        private volatile long lastActivity = System.nanoTime();
        private volatile boolean timedOut;
        private String finishReason;
        private boolean ended;

        private TokenStream(InputStream body, int maxTokens) {
            this.body = body;
            this.maxTokens = maxTokens;
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

        /** vLLM's finish_reason ({@code "stop"}, {@code "length"}, ...) once finished, else null. */
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
                if (finishReason == null) throw new UpstreamException(502, "the upstream closed the stream before it finished");
                return;
            }
            if (!line.startsWith("data:")) return; // blank separators, comments (keep-alives), event/id fields
            String data = line.substring(5).strip();
            if (data.equals("[DONE]")) {
                ended = true;
                close();
                if (finishReason == null) throw new UpstreamException(502, "the upstream ended the stream without a finish_reason");
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
                throw new UpstreamException(code == 503 || code == 429 ? code : 502,
                        "the upstream failed mid-stream: " + error.path("message").asText("unknown error"));
            }
            JsonNode choice = chunk.path("choices").path(0);
            if (choice.isMissingNode()) return; // the usage chunk
            JsonNode ids = choice.get("token_ids");
            if (ids != null && ids.isArray()) {
                for (JsonNode id : ids) {
                    if (!id.canConvertToInt()) throw new UpstreamException(502, "the upstream sent a token id that is not an integer");
                    if (++received > maxTokens) {
                        close();
                        throw new UpstreamException(502, "the upstream sent more than the " + maxTokens + " ids asked for");
                    }
                    pending.add(id.asInt());
                }
            } else if (!choice.path("text").asText("").isEmpty()) {
                throw new UpstreamException(502, "the upstream sent text without token_ids: it must run without a tokenizer "
                        + "(vllm serve --skip-tokenizer-init) and support return_token_ids");
            }
            JsonNode finish = choice.get("finish_reason");
            if (finish != null && !finish.isNull()) finishReason = finish.asText();
        }

        /** One line without its end, or null at the end of the stream; a line over MAX_LINE is a 502. */
        private String readLine() throws IOException, UpstreamException {
            StringBuilder line = new StringBuilder(256);
            for (int c; (c = reader.read()) >= 0; ) {
                if (c == '\n') return line.toString();
                if (c != '\r') line.append((char) c);
                if (line.length() > MAX_LINE) {
                    close();
                    throw new UpstreamException(502, "the upstream sent an event line over " + MAX_LINE + " characters");
                }
            }
            return line.isEmpty() ? null : line.toString();
        }

        private UpstreamException broken(IOException e) {
            close();
            if (timedOut) return new UpstreamException(504, "the upstream sent nothing for " + timeouts.idle().toSeconds() + " s");
            return new UpstreamException(502, "the connection to the upstream broke mid-stream" + (e == null ? "" : ": " + describe(e)), e);
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
