package dev.veil.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

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
        JsonNode v = get(field, fallback == null);
        if (v == null) return fallback;
        if (!v.isTextual())
            throw new IllegalArgumentException("field '" + name(field) + "' must be a string, got " + v);
        return v.asText();
    }

    int integer(String field, Integer fallback, int min, int max) {
        JsonNode v = get(field, fallback == null);
        if (v == null) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToInt())
            throw new IllegalArgumentException("field '" + name(field) + "' must be an integer, got " + v);
        int i = v.asInt();
        if (i < min || i > max)
            throw new IllegalArgumentException(
                    "field '" + name(field) + "' must be between " + min + " and " + max + ", got " + i);
        return i;
    }

    long longValue(String field, Long fallback) {
        JsonNode v = get(field, fallback == null);
        if (v == null) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToLong())
            throw new IllegalArgumentException("field '" + name(field) + "' must be an integer, got " + v);
        return v.asLong();
    }

    double number(String field, Double fallback, double min, double max) {
        JsonNode v = get(field, fallback == null);
        if (v == null) return fallback;
        if (!v.isNumber()) throw new IllegalArgumentException("field '" + name(field) + "' must be a number, got " + v);
        double d = v.asDouble();
        if (!(d >= min && d <= max))
            throw new IllegalArgumentException(
                    "field '" + name(field) + "' must be between " + min + " and " + max + ", got " + d);
        return d;
    }

    boolean bool(String field, Boolean fallback) {
        JsonNode v = get(field, fallback == null);
        if (v == null) return fallback;
        if (!v.isBoolean())
            throw new IllegalArgumentException("field '" + name(field) + "' must be true or false, got " + v);
        return v.asBoolean();
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
