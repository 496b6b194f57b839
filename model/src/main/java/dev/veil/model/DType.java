package dev.veil.model;

import java.util.Locale;

/** Element types Veil reads and writes. Names follow safetensors; ids follow ggml. */
public enum DType {
    F32(4, 0),
    F16(2, 1),
    BF16(2, 30),
    F64(8, 28),
    I32(4, 26),
    I64(8, 27),
    I8(1, 24),
    U8(1, -1);

    /** Bytes per element. */
    public final int bytes;
    /** ggml_type id, or -1 where GGUF has none. */
    public final int ggmlType;

    DType(int bytes, int ggmlType) {
        this.bytes = bytes;
        this.ggmlType = ggmlType;
    }

    /** True for the types the engine's kernels multiply directly. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    public static DType fromSafetensors(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported dtype '" + name + "' (Veil reads F32, F16, BF16, F64, I32, I64, I8, U8)");
        }
    }

    public static DType fromGgml(int id) {
        for (DType t : values()) if (t.ggmlType == id) return t;
        throw new IllegalArgumentException("unsupported ggml tensor type " + id + " (Veil reads F32, F16, BF16)");
    }

    /** Round a float to bfloat16 bits (round to nearest even, NaN kept quiet). */
    public static short toBF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float fromBF16(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
