package dev.veil.model.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Reads little-endian GGUF values from a mapped file, failing with "PATH: truncated ..." instead of running off the end. */
final class GgufCursor {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment file;
    private long pos;
    /** What is being read, for error messages (e.g. "key 'general.name'"). */
    String context = "header";

    GgufCursor(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
    }

    long position() {
        return pos;
    }

    void seek(long position) throws IOException {
        if (position > file.byteSize())
            throw new IOException(path + ": truncated: " + context + " starts at offset " + position
                    + " but the file has " + file.byteSize() + " bytes");
        pos = position;
    }

    private long take(long n) throws IOException {
        if (n < 0 || n > file.byteSize() - pos)
            throw new IOException(path + ": truncated: " + context + " needs " + Long.toUnsignedString(n)
                    + " bytes at offset " + pos + " but the file has " + file.byteSize() + " bytes");
        long at = pos;
        pos += n;
        return at;
    }

    byte u8() throws IOException {
        return file.get(ValueLayout.JAVA_BYTE, take(1));
    }

    short i16() throws IOException {
        return file.get(I16, take(2));
    }

    int i32() throws IOException {
        return file.get(I32, take(4));
    }

    long i64() throws IOException {
        return file.get(I64, take(8));
    }

    float f32() throws IOException {
        return file.get(F32, take(4));
    }

    double f64() throws IOException {
        return file.get(F64, take(8));
    }

    String string() throws IOException {
        long len = i64();
        if (len < 0 || len > file.byteSize() - pos)
            throw new IOException(path + ": truncated: " + context + " has a string of " + Long.toUnsignedString(len)
                    + " bytes at offset " + pos + " but the file has " + file.byteSize() + " bytes");
        if (len > Integer.MAX_VALUE)
            throw new IOException(path + ": " + context + " has a string of " + len + " bytes");
        byte[] bytes = new byte[(int) len];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, take(len), bytes, 0, bytes.length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Checks that {@code count} elements of {@code bytes} each can still be read, before allocating for them. */
    void require(long count, int bytes) throws IOException {
        if (count < 0 || (bytes > 0 && count > (file.byteSize() - pos) / bytes))
            throw new IOException(path + ": truncated: " + context + " has " + Long.toUnsignedString(count)
                    + " elements at offset " + pos + " but the file has only " + file.byteSize() + " bytes");
        if (count > Integer.MAX_VALUE - 8)
            throw new IOException(path + ": " + context + " has too many elements (" + count + ")");
    }
}
