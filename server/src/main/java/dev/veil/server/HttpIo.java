package dev.veil.server;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** JSON bodies in and out of the JDK HTTP server, errors in the OpenAI/vLLM shape. */
final class HttpIo {

    /** The largest body limit {@link ServerOptions#bodyLimit} gives. */
    static final int MAX_BODY_BYTES = 16 << 20;

    /** A body declared over the limit but under this is read and dropped, so the client reads its 413 on an intact connection. */
    static final long DISCARD_BYTES = 32 << 20;

    static final ObjectMapper JSON = new ObjectMapper();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(64).maxStringLength(MAX_BODY_BYTES).build());
    }

    private HttpIo() {}

    /**
     * The request body; 413 when too large — from the Content-Length before any byte is read, so a client that
     * announces 10 GB and sends nothing is answered at once.
     */
    static byte[] readBody(HttpExchange exchange, int limit) throws IOException, ApiException {
        ApiException tooLarge = new ApiException(413, "BadRequestError", "the request body exceeds " + limit + " bytes", null);
        String length = exchange.getRequestHeaders().getFirst("Content-Length"); // the JDK server checked it is a number
        long declared = length == null ? -1 : length.strip().length() > 18 ? Long.MAX_VALUE : Long.parseLong(length.strip());
        if (declared > limit) {
            if (declared <= DISCARD_BYTES) {
                try (InputStream in = exchange.getRequestBody()) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
            } else {
                exchange.getResponseHeaders().set("Connection", "close");
            }
            throw tooLarge;
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(limit + 1);
        }
        if (body.length > limit) throw tooLarge;
        return body;
    }

    /** A body as JSON: 400 when it is not. */
    static JsonNode json(byte[] body) throws IOException, ApiException {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || n.isMissingNode()) throw ApiException.badRequest("the request body is empty: expected a JSON object", null);
            return n;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (java.io.CharConversionException e) { // Jackson took the bytes for UTF-32: not JSON either (fuzzing found it)
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getMessage(), null);
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
        if (e.status() == 429 || e.status() == 503) exchange.getResponseHeaders().set("Retry-After", "1");
        sendJson(exchange, e.status(), errorBody(e));
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", JSON.writeValueAsBytes(body));
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
            exchange.getResponseBody().flush(); // before close() drains an unread body: the client has its answer
        }
        exchange.close();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
