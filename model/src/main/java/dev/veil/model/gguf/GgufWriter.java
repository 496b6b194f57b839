package dev.veil.model.gguf;

import dev.veil.model.PartialFile;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSink;
import dev.veil.model.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Streams a GGUF v3 file the way ggml's gguf.cpp lays one out: header, metadata, tensor table, then each tensor's
 * data at the next multiple of 32 bytes, in table order (llama.cpp requires exactly these offsets). Tensor shapes are
 * given in PyTorch order and written as ggml's reversed ne[]. Output goes to a temporary file renamed into place by
 * {@link #close()} once every tensor has been written.
 */
public final class GgufWriter implements TensorSink {
    static final int VERSION = 3;
    static final int MAX_NAME_BYTES = 63;
    /** The primitive arrays a metadata array value may be (besides a List). */
    private static final Set<Class<?>> PRIMITIVE_ARRAYS =
            Set.of(int[].class, long[].class, float[].class, double[].class, boolean[].class);

    private final PartialFile file;

    private GgufWriter(Path path, GgufMetadata metadata, List<TensorSpec> specs) throws IOException {
        byte[] header = header(path, metadata, specs);
        this.file = new PartialFile(path, specs);
        file.write(ByteBuffer.wrap(header));
    }

    /** Writes the header of {@code path}; then {@link #write} each tensor of {@code specs} in order (GGUF names). */
    public static GgufWriter create(Path path, GgufMetadata metadata, List<TensorSpec> specs) throws IOException {
        return new GgufWriter(path, metadata, specs);
    }

    @Override
    public void write(Tensor tensor) throws IOException {
        file.writeTensor(tensor);
        long padded = GgufFile.align(file.position(), GgufFile.DEFAULT_ALIGNMENT);
        if (padded > file.position()) file.write(ByteBuffer.allocate((int) (padded - file.position())));
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    /** Everything before the first tensor's data, padded to the alignment. */
    static byte[] header(Path path, GgufMetadata metadata, List<TensorSpec> specs) {
        Le b = new Le();
        b.i32(GgufFile.MAGIC)
                .i32(VERSION)
                .i64(specs.size())
                .i64(metadata.values().size());
        metadata.values().forEach((key, v) -> {
            b.string(key).i32(v.type().id);
            if (v.type() == GgufValueType.ARRAY) b.array(key, v.elementType(), v.value());
            else b.scalar(key, v.type(), v.value());
        });
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (TensorSpec s : specs) {
            byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
            if (name.length > MAX_NAME_BYTES)
                throw new IllegalArgumentException(path + ": tensor name '" + s.name() + "' is longer than llama.cpp's "
                        + MAX_NAME_BYTES + " bytes");
            if (!names.add(s.name()))
                throw new IllegalArgumentException(path + ": duplicate tensor '" + s.name() + "'");
            GgmlType type = GgmlType.of(s.dtype());
            long[] shape = s.shape().length == 0 ? new long[] {1} : s.shape();
            if (shape.length > 4)
                throw new IllegalArgumentException(path + ": tensor " + s + " has more than 4 dimensions");
            b.string(s.name()).i32(shape.length);
            for (int d = shape.length - 1; d >= 0; d--) b.i64(shape[d]);
            b.i32(type.id).i64(offset);
            offset = GgufFile.align(offset + s.byteSize(), GgufFile.DEFAULT_ALIGNMENT);
        }
        while (b.size() % GgufFile.DEFAULT_ALIGNMENT != 0) b.write(0);
        return b.toByteArray();
    }

    /** A little-endian byte sink for the header. */
    private static final class Le extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Le i8(int v) {
            write(v);
            return this;
        }

        Le i16(int v) {
            scratch.clear();
            write(scratch.putShort((short) v).array(), 0, 2);
            return this;
        }

        Le i32(int v) {
            scratch.clear();
            write(scratch.putInt(v).array(), 0, 4);
            return this;
        }

        Le i64(long v) {
            scratch.clear();
            write(scratch.putLong(v).array(), 0, 8);
            return this;
        }

        Le string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i64(bytes.length);
            write(bytes, 0, bytes.length);
            return this;
        }

        void scalar(String key, GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> i8(((Number) v).intValue());
                case UINT16, INT16 -> i16(((Number) v).intValue());
                case UINT32, INT32 -> i32(((Number) v).intValue());
                case UINT64, INT64 -> i64(((Number) v).longValue());
                case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> i8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalArgumentException(key + ": nested array");
            }
        }

        void array(String key, GgufValueType element, Object v) {
            i32(element.id);
            switch (v) {
                case List<?> l -> {
                    i64(l.size());
                    for (Object o : l) scalar(key, element, o);
                }
                case Object a
                when PRIMITIVE_ARRAYS.contains(a.getClass()) -> {
                    // one loop for every primitive array: Array.get boxes each value for scalar(), as autoboxing did
                    int n = Array.getLength(a);
                    i64(n);
                    for (int i = 0; i < n; i++) scalar(key, element, Array.get(a, i));
                }
                default ->
                    throw new IllegalArgumentException(
                            key + ": cannot write a " + v.getClass().getSimpleName() + " array");
            }
        }
    }
}
