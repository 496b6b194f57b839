package dev.veil.model.gguf;

import dev.veil.model.DType;

/**
 * Tensor element types of ggml (ggml.h {@code enum ggml_type}) with their block layout, so that Veil can size and
 * list any GGUF tensor, quantized ones included, even though it only reads the float types as {@link DType}s.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    NVFP4(40, 64, 36),
    Q1_0(41, 128, 18),
    Q2_0(42, 64, 18);

    public final int id;
    /** Elements per block (1 for plain types). */
    public final int blockSize;
    /** Bytes per block. */
    public final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The type with id {@code id}, or null when ggml has none. */
    public static GgmlType of(int id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    public static GgmlType of(DType dtype) {
        if (dtype.ggml == null) throw new IllegalArgumentException("GGUF cannot store " + dtype + " tensors");
        return dtype.ggml;
    }

    /** The Veil dtype of this type, or null for quantized types Veil does not read. */
    public DType dtype() {
        for (DType d : DType.values()) if (d.ggml == this) return d;
        return null;
    }

    /**
     * Bytes of {@code elements} elements; the caller checks that rows are whole blocks.
     *
     * @throws ArithmeticException when the size does not fit a long (2^62 F32 elements would wrap to 0 bytes)
     */
    public long bytes(long elements) {
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }
}
