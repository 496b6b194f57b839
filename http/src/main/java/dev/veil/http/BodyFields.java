package dev.veil.http;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed optional fields of a JSON request body (absent or null: the default), as the OpenAI-style endpoints read
 * them: a value of the wrong type is refused with a 400 naming the field, in the service's own error type {@code E}.
 */
public final class BodyFields<E extends HttpError> {

    /** The service's 400: {@code message}, naming the offending field as {@code param}. */
    @FunctionalInterface
    public interface Invalid<E extends HttpError> {
        E of(String message, String param);
    }

    private final Invalid<E> invalid;

    public BodyFields(Invalid<E> invalid) {
        this.invalid = invalid;
    }

    /** Whether {@code field} is set to anything but null or false. */
    public boolean present(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n != null && !n.isNull() && !(n.isBoolean() && !n.asBoolean());
    }

    public boolean bool(JsonNode body, String field, boolean absent) throws E {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return absent;
        if (!n.isBoolean()) throw invalid.of(field + " must be true or false", field);
        return n.asBoolean();
    }

    public int integer(JsonNode body, String field, int absent) throws E {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return absent;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw invalid.of(field + " must be an integer", field);
        return n.asInt();
    }

    public double number(JsonNode body, String field, double absent) throws E {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return absent;
        if (!n.isNumber()) throw invalid.of(field + " must be a number", field);
        return n.asDouble();
    }
}
