package dev.veil.talaria.cloud;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.http.HttpError;
import dev.veil.http.Json;
import java.util.Map;

/**
 * A request answered with an error the KServe V2 way, {@code {"error": "<message>"}}: the Talaria services' shape (the
 * cloud, the setup authority, the table server), which the client reads. The status and the headers travel as in every
 * {@link HttpError}.
 */
public final class V2Error extends HttpError {

    public V2Error(int status, String message) {
        super(status, "v2_error", message == null ? "error" : message, null, status);
    }

    public V2Error(int status, String message, Map<String, String> headers) {
        this(status, message);
        headers.forEach(this::withHeader);
    }

    /** The layer's own errors (413, 431, malformed heads, 500) in this shape. */
    public static final HttpError.Shape SHAPE = V2Error::new;

    @Override
    public ObjectNode body() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("error", getMessage());
        return root;
    }
}
