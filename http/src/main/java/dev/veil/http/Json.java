package dev.veil.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.CharConversionException;
import java.io.IOException;

/** JSON request bodies with limits: nesting, number and string lengths bounded, so a small body cannot cost much. */
public final class Json {

    /** The longest string a body may hold: the largest body limit a service gives. */
    public static final int MAX_STRING = 16 << 20;

    public static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        MAPPER.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(64)
                        .maxNumberLength(64)
                        .maxStringLength(MAX_STRING)
                        .build());
    }

    private Json() {}

    /** A body as JSON: 400 in the service's shape when it is empty or not JSON. */
    public static JsonNode read(byte[] body, HttpError.Shape errors) throws HttpError {
        try {
            JsonNode n = MAPPER.readTree(body);
            if (n == null || n.isMissingNode())
                throw errors.of(400, "the request body is empty: expected a JSON object");
            return n;
        } catch (JacksonException e) {
            throw errors.of(400, "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (
                CharConversionException
                        e) { // Jackson took leading zero bytes for UTF-32: not JSON either (fuzzing found it)
            throw errors.of(400, "the request body is not valid JSON: " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array", e);
        }
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JacksonException e) {
            throw new IllegalStateException("a JSON tree that cannot be written", e);
        }
    }
}
