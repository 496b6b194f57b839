package dev.veil.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A plain HTTP client for tests: JSON in, JSON or server-sent events out. */
public final class TestHttp {

    public static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private TestHttp() {}

    public record Response(int status, String contentType, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    public static Response post(URI uri, String body) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return response(CLIENT.send(r, HttpResponse.BodyHandlers.ofString()));
    }

    public static Response post(URI uri, JsonNode body) throws IOException, InterruptedException {
        return post(uri, JSON.writeValueAsString(body));
    }

    /** {@link #post(URI, JsonNode)} on another thread: a request that arrives while the test does something else. */
    public static CompletableFuture<Response> postAsync(URI uri, JsonNode body) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return post(uri, body);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    public static Response get(URI uri) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .GET()
                .build();
        return response(CLIENT.send(r, HttpResponse.BodyHandlers.ofString()));
    }

    public static Response send(HttpRequest request) throws IOException, InterruptedException {
        return response(CLIENT.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private static Response response(HttpResponse<String> r) {
        return new Response(
                r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /** The {@code data:} payloads of a server-sent event stream, up to and without {@code [DONE]}; comments skipped. */
    public record Events(int status, List<JsonNode> data, boolean done, List<String> comments) {}

    public static Events stream(URI uri, JsonNode body) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        HttpResponse<InputStream> response = CLIENT.send(r, HttpResponse.BodyHandlers.ofInputStream());
        List<JsonNode> data = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith(":")) comments.add(line);
                else if (line.equals("data: [DONE]")) done = true;
                else if (line.startsWith("data: ")) data.add(JSON.readTree(line.substring(6)));
            }
        }
        return new Events(response.statusCode(), data, done, comments);
    }
}
