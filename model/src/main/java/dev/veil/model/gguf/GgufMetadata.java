package dev.veil.model.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metadata to write into a GGUF file, each value with the exact GGUF type llama.cpp expects for it (its loader
 * rejects e.g. an i32 where it wants a u32). Keys keep insertion order.
 */
public final class GgufMetadata {

    /** A typed value; {@code elementType} is set for arrays. */
    public record Value(GgufValueType type, GgufValueType elementType, Object value) {}

    private final Map<String, Value> values = new LinkedHashMap<>();

    public GgufMetadata putString(String key, String v) {
        return put(key, GgufValueType.STRING, null, v);
    }

    public GgufMetadata putU32(String key, long v) {
        if (v < 0 || v > 0xffffffffL) throw new IllegalArgumentException(key + ": " + v + " does not fit a u32");
        return put(key, GgufValueType.UINT32, null, v);
    }

    public GgufMetadata putI32(String key, int v) {
        return put(key, GgufValueType.INT32, null, v);
    }

    public GgufMetadata putU64(String key, long v) {
        return put(key, GgufValueType.UINT64, null, v);
    }

    public GgufMetadata putF32(String key, float v) {
        return put(key, GgufValueType.FLOAT32, null, v);
    }

    public GgufMetadata putBool(String key, boolean v) {
        return put(key, GgufValueType.BOOL, null, v);
    }

    public GgufMetadata putStrings(String key, List<String> v) {
        return put(key, GgufValueType.ARRAY, GgufValueType.STRING, List.copyOf(v));
    }

    public GgufMetadata putI32s(String key, int[] v) {
        return put(key, GgufValueType.ARRAY, GgufValueType.INT32, v.clone());
    }

    public GgufMetadata putF32s(String key, float[] v) {
        return put(key, GgufValueType.ARRAY, GgufValueType.FLOAT32, v.clone());
    }

    /** A value exactly as another GGUF stored it (for copying metadata across). */
    public GgufMetadata copy(GgufFile from, String key) {
        GgufValueType t = from.type(key);
        if (t == null) throw new IllegalArgumentException(from.path() + ": no metadata key '" + key + "'");
        return put(key, t, from.elementType(key), from.metadata().get(key));
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Map<String, Value> values() {
        return Collections.unmodifiableMap(values);
    }

    private GgufMetadata put(String key, GgufValueType type, GgufValueType elementType, Object v) {
        if (key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        if (v == null) throw new IllegalArgumentException(key + ": null value");
        values.put(key, new Value(type, elementType, v));
        return this;
    }
}
