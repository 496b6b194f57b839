package dev.veil.model.gguf;

/** The type tags of GGUF metadata values (gguf.h {@code enum gguf_type}). */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 0),
    ARRAY(9, 0),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    public final int id;
    /** Bytes of one value; 0 for the variable-length STRING and ARRAY. */
    public final int bytes;

    GgufValueType(int id, int bytes) {
        this.id = id;
        this.bytes = bytes;
    }

    /** The type with tag {@code id}, or null when the tag is unknown. */
    public static GgufValueType of(int id) {
        for (GgufValueType t : values()) if (t.id == id) return t;
        return null;
    }
}
