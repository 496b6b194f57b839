package dev.veil.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Reads the fields of one JSON object of a config file, naming the field (with its path, e.g.
 * {@code training.lr}) in every error, and rejecting fields it does not know (a typo must not be silently ignored).
 */
final class JsonFields {
    private final JsonNode node;
    private final String path;
    private final Set<String> read = new HashSet<>();

    JsonFields(JsonNode node, String path) {
        if (node == null || !node.isObject()) throw new IllegalArgumentException(where(path) + "must be a JSON object");
        this.node = node;
        this.path = path;
    }

    private static String where(String path) {
        return path.isEmpty() ? "the config " : "'" + path + "' ";
    }

    private String name(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    private JsonNode get(String field, boolean required) {
        read.add(field);
        JsonNode v = node.get(field);
        if ((v == null || v.isNull()) && required)
            throw new IllegalArgumentException("missing field '" + name(field) + "'");
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String field) {
        return node.hasNonNull(field);
    }

    JsonFields object(String field) {
        return new JsonFields(get(field, true), name(field));
    }

    String string(String field, String fallback) {
        return value(field, fallback, JsonNode::isTextual, "a string", JsonNode::asText);
    }

    int integer(String field, Integer fallback, int min, int max) {
        return value(field, fallback, v -> v.isIntegralNumber() && v.canConvertToInt(), "an integer", v -> {
            int i = v.asInt();
            return inRange(field, i, i >= min && i <= max, min, max);
        });
    }

    long longValue(String field, Long fallback) {
        return value(
                field, fallback, v -> v.isIntegralNumber() && v.canConvertToLong(), "an integer", JsonNode::asLong);
    }

    double number(String field, Double fallback, double min, double max) {
        return value(field, fallback, JsonNode::isNumber, "a number", v -> {
            double d = v.asDouble();
            return inRange(field, d, d >= min && d <= max, min, max);
        });
    }

    boolean bool(String field, Boolean fallback) {
        return value(field, fallback, JsonNode::isBoolean, "true or false", JsonNode::asBoolean);
    }

    /**
     * The one read of a typed field: {@code fallback} when the field is absent (a null fallback: the field is
     * required), "must be {@code what}" unless {@code accept} holds, else {@code read} of its value.
     */
    private <T> T value(String field, T fallback, Predicate<JsonNode> accept, String what, Function<JsonNode, T> read) {
        JsonNode v = get(field, fallback == null);
        if (v == null) return fallback;
        if (!accept.test(v))
            throw new IllegalArgumentException("field '" + name(field) + "' must be " + what + ", got " + v);
        return read.apply(v);
    }

    private <T> T inRange(String field, T got, boolean inRange, Object min, Object max) {
        if (!inRange)
            throw new IllegalArgumentException(
                    "field '" + name(field) + "' must be between " + min + " and " + max + ", got " + got);
        return got;
    }

    /** Fails on any field of this object that was never asked for. */
    void rejectUnknown() {
        Iterator<String> it = node.fieldNames();
        while (it.hasNext()) {
            String f = it.next();
            if (!read.contains(f)) throw new IllegalArgumentException("unknown field '" + name(f) + "'");
        }
    }
}
