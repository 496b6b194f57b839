package dev.veil.server;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** JSON bodies in and out of the JDK HTTP server, errors in the OpenAI/vLLM shape. */
final class HttpIo {

    /** Request bodies larger than this are refused with 413. */
    static final int MAX_BODY_BYTES = 16 << 20;

    static final ObjectMapper JSON = new ObjectMapper();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(64).maxStringLength(MAX_BODY_BYTES).build());
    }

    private HttpIo() {}

    /** The request body as JSON; 413 when too large, 400 when not JSON. */
    static JsonNode readJson(HttpExchange exchange) throws IOException, ApiException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES)
            throw new ApiException(413, "BadRequestError", "the request body exceeds " + MAX_BODY_BYTES + " bytes", null);
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || n.isMissingNode()) throw ApiException.badRequest("the request body is empty: expected a JSON object", null);
            return n;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        }
    }

    static ObjectNode errorBody(ApiException e) {
        ObjectNode error = JSON.createObjectNode();
        error.put("message", e.getMessage());
        error.put("type", e.type());
        if (e.param() == null) error.putNull("param");
        else error.put("param", e.param());
        error.put("code", e.status());
        ObjectNode root = JSON.createObjectNode();
        root.set("error", error);
        return root;
    }

    static void sendError(HttpExchange exchange, ApiException e) throws IOException {
        if (e.status() == 429) exchange.getResponseHeaders().set("Retry-After", "1");
        sendJson(exchange, e.status(), errorBody(e));
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", JSON.writeValueAsBytes(body));
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) exchange.getResponseBody().write(body);
        exchange.close();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
