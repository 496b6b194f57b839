package dev.veil.talaria.cloud;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Reading and answering JDK {@link HttpExchange}s the KServe V2 way (errors as {@code {"error": "..."}}). Public for the
 * setup authority's server, which answers the same way.
 */
public final class Exchanges {

    public static final ObjectMapper JSON = new ObjectMapper();

    private Exchanges() {}

    /** A request the caller got wrong: answered with its status and message. */
    public static final class HttpError extends RuntimeException {
        public final int status;
        /** Extra response headers (Retry-After, WWW-Authenticate). */
        public final Map<String, String> headers;

        public HttpError(int status, String message) {
            this(status, message, Map.of());
        }

        public HttpError(int status, String message, Map<String, String> headers) {
            super(message);
            this.status = status;
            this.headers = Map.copyOf(headers);
        }
    }

    /** The whole request body, refusing bodies over {@code limit} bytes before reading them. */
    public static byte[] body(HttpExchange ex, long limit) throws IOException {
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        if (len != null && Long.parseLong(len.trim()) > limit)
            throw new HttpError(413, "request body of " + len.trim() + " bytes exceeds the limit of " + limit);
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
            if (b.length > limit) throw new HttpError(413, "request body exceeds the limit of " + limit + " bytes");
            return b;
        }
    }

    public static void send(HttpExchange ex, int status, String contentType, byte[] body, Map<String, String> headers)
            throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        headers.forEach(ex.getResponseHeaders()::set);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    public static void sendJson(HttpExchange ex, int status, Object value) throws IOException {
        send(ex, status, "application/json", JSON.writeValueAsBytes(value), Map.of());
    }

    public static void sendBinary(HttpExchange ex, V2Codec.Body body) throws IOException {
        send(
                ex,
                200,
                V2Codec.CONTENT_TYPE,
                body.bytes(),
                Map.of(V2Codec.HEADER_LENGTH, Integer.toString(body.jsonLength())));
    }

    public static void sendError(HttpExchange ex, int status, String message) throws IOException {
        sendJson(ex, status, Map.of("error", message));
    }

    public static void sendError(HttpExchange ex, HttpError e) throws IOException {
        send(ex, e.status, "application/json", JSON.writeValueAsBytes(Map.of("error", e.getMessage())), e.headers);
    }
}
