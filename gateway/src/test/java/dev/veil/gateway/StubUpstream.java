package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/** A stand-in upstream (vLLM or llama-server) on loopback for the gateway's client tests: given routes, canned replies. */
final class StubUpstream {

    private StubUpstream() {}

    /** Serves {@code routes} (path → handler) on a free loopback port, a virtual thread per exchange; started. */
    static HttpServer start(Map<String, HttpHandler> routes) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        routes.forEach(s::createContext);
        s.start();
        return s;
    }

    static URI uri(HttpServer s) {
        return URI.create("http://127.0.0.1:" + s.getAddress().getPort());
    }

    /** A whole reply: {@code status}, the body's length, the body; the exchange closed. */
    static void reply(HttpExchange e, int status, byte[] body) throws IOException {
        e.sendResponseHeaders(status, body.length);
        e.getResponseBody().write(body);
        e.close();
    }

    /** A test resource's bytes ({@code path} under src/test/resources, e.g. {@code vllm/models.json}). */
    static byte[] resource(String path) throws IOException {
        try (InputStream in = StubUpstream.class.getResourceAsStream("/" + path)) {
            if (in == null) throw new IOException("missing test resource " + path);
            return in.readAllBytes();
        }
    }

    /** Adds the JSON body of the request {@code e} to {@code requests}: what the client sent, for the test to read. */
    static void record(List<JsonNode> requests, HttpExchange e) throws IOException {
        JsonNode body = VllmClient.JSON.readTree(e.getRequestBody().readAllBytes());
        synchronized (requests) {
            requests.add(body);
        }
    }

    /** A handler answering 200 with {@code body}. */
    static HttpHandler ok(String body) {
        return e -> reply(e, 200, body.getBytes(StandardCharsets.UTF_8));
    }

    /** /v1/models of a vLLM serving model "m" with 512 positions. */
    static final String MODELS_M =
            "{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\",\"max_model_len\":512}]}";
}
