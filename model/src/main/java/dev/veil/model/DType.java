package dev.veil.model;

import dev.veil.model.gguf.GgmlType;
import java.util.Locale;

/**
 * Element types Veil reads and writes. Names follow safetensors; ids follow ggml. The quantized types are ggml's
 * block formats ({@link Quant}): {@link #blockSize} elements stored in {@link #bytes} bytes, blocks along a row.
 */
public enum DType {
    F32(GgmlType.F32),
    F16(GgmlType.F16),
    BF16(GgmlType.BF16),
    F64(GgmlType.F64),
    I32(GgmlType.I32),
    I64(GgmlType.I64),
    I8(GgmlType.I8),
    /** Safetensors only: GGUF has no unsigned byte type. */
    U8(null),
    /** 32 int8 with one f16 scale. */
    Q8_0(GgmlType.Q8_0),
    /** 32 5-bit values with one f16 scale (llama.cpp's fallback for Q4_K rows that are not whole 256-blocks). */
    Q5_0(GgmlType.Q5_0),
    /** 256 4-bit values in 8 sub-blocks of 32, each with a 6-bit scale and min; f16 super-block scale and min. */
    Q4_K(GgmlType.Q4_K),
    /** 256 6-bit values in 16 sub-blocks of 16, each with an int8 scale; f16 super-block scale. */
    Q6_K(GgmlType.Q6_K);

    /** The ggml type of the same layout, or null where GGUF has none. */
    public final GgmlType ggml;
    /** Bytes per element; for quantized types, bytes per block. */
    public final int bytes;
    /** Elements per block: 1 for plain types. */
    public final int blockSize;

    /** The block layout is ggml's ({@link GgmlType} states it once); U8 is one plain byte. */
    DType(GgmlType ggml) {
        this.ggml = ggml;
        this.bytes = ggml == null ? 1 : ggml.typeSize;
        this.blockSize = ggml == null ? 1 : ggml.blockSize;
    }

    /** True for the plain float types. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** True for ggml's block-quantized types. */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** True for the types the engine's kernels multiply directly: the float types and the quantized ones. */
    public boolean isWeight() {
        return isFloat() || isQuantized();
    }

    /** Bytes of {@code elements} elements (whole blocks: the caller checks rows are whole blocks). */
    public long byteSize(long elements) {
        return Math.multiplyExact(
                elements / blockSize, (long) bytes); // sizes come from files: overflow is an error, not a wrap
    }

    public static DType fromSafetensors(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "unsupported dtype '" + name + "' (Veil reads F32, F16, BF16, F64, I32, I64, I8, U8)");
        }
    }

    public static DType fromGgml(int id) {
        for (DType t : values()) if (t.ggml != null && t.ggml.id == id) return t;
        throw new IllegalArgumentException(
                "unsupported ggml tensor type " + id + " (Veil reads F32, F16, BF16, Q8_0, Q5_0, Q4_K, Q6_K)");
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
