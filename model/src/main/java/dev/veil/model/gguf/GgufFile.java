package dev.veil.model.gguf;

import dev.veil.model.DType;
import dev.veil.model.MappedFile;
import dev.veil.model.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A memory-mapped GGUF file (versions 2 and 3): its metadata, its tensor table, and its F32/F16/BF16 tensors as
 * slices of the mapping (never copied). Tensors stay valid until {@link #close()}.
 *
 * <p>Metadata values are plain Java objects: u8/i8/u16/i16/i32 as {@link Integer}; u32/u64/i64 as {@link Long}
 * (u64 above {@code Long.MAX_VALUE} wraps negative); f32 {@link Float}; f64 {@link Double}; bool {@link Boolean};
 * string {@link String}. Arrays: strings as {@code List<String>}, u8/i8/u16/i16/i32 as {@code int[]},
 * u32/u64/i64 as {@code long[]}, f32 {@code float[]}, f64 {@code double[]}, bool {@code boolean[]}.
 * Every problem with the file is an {@link IOException} whose message starts with the path.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;

    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final Map<String, GgufValueType> elementTypes = new LinkedHashMap<>();
    private final Map<String, GgufTensorInfo> tensors;
    private final long dataStart;

    private GgufFile(Path path, Arena arena, MemorySegment file) throws IOException {
        this.path = path;
        this.arena = arena;
        this.file = file;
        GgufCursor in = new GgufCursor(path, file);
        if (file.byteSize() < 4)
            throw new IOException(path + ": not a GGUF file (" + file.byteSize() + " bytes, too short for the magic)");
        int magic = in.i32();
        if (magic != MAGIC)
            throw new IOException(path + ": not a GGUF file (bad magic " + printable(magic) + ", expected \"GGUF\")");
        version = in.i32();
        if (version != 2 && version != 3)
            throw new IOException(path + ": unsupported GGUF version " + Integer.toUnsignedString(version)
                    + " (Veil reads versions 2 and 3)");
        long tensorCount = in.i64();
        long kvCount = in.i64();
        in.require(kvCount, 8 + 4);
        in.require(tensorCount, 8 + 4 + 4 + 8);

        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, GgufValueType> metaTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            in.context = "metadata key #" + i;
            String key = in.string();
            if (meta.containsKey(key)) throw new IOException(path + ": duplicate metadata key '" + key + "'");
            in.context = "metadata key '" + key + "'";
            GgufValueType type = valueType(in.i32(), key);
            metaTypes.put(key, type);
            meta.put(key, type == GgufValueType.ARRAY ? readArray(in, key) : readScalar(in, type));
        }
        metadata = Collections.unmodifiableMap(meta);
        types = Collections.unmodifiableMap(metaTypes);

        long alignment = DEFAULT_ALIGNMENT;
        if (meta.containsKey(ALIGNMENT_KEY)) {
            if (types.get(ALIGNMENT_KEY) != GgufValueType.UINT32
                    || !(meta.get(ALIGNMENT_KEY) instanceof Long a)
                    || a == 0
                    || (a & (a - 1)) != 0)
                throw new IOException(
                        path + ": " + ALIGNMENT_KEY + " must be a u32 power of two, got " + meta.get(ALIGNMENT_KEY));
            alignment = a;
        }

        Map<String, GgufTensorInfo> infos = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            in.context = "tensor info #" + i;
            GgufTensorInfo info = readTensorInfo(in);
            if (infos.put(info.name(), info) != null)
                throw new IOException(path + ": duplicate tensor '" + info.name() + "'");
        }
        tensors = Collections.unmodifiableMap(infos);
        dataStart = align(in.position(), alignment);
        in.context = "tensor data";
        if (tensorCount > 0) in.seek(dataStart);
        checkTensorData(alignment);
    }

    /** Maps {@code path} read-only. */
    public static GgufFile open(Path path) throws IOException {
        return MappedFile.open(path, GgufFile::new);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    /** All metadata in file order (unmodifiable). */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The element type of array {@code key}, or null if it is absent or no array. */
    public GgufValueType elementType(String key) {
        return elementTypes.get(key);
    }

    /** The GGUF type tag {@code key} was stored with, or null if absent. */
    public GgufValueType type(String key) {
        return types.get(key);
    }

    public boolean contains(String key) {
        return metadata.containsKey(key);
    }

    /** The tensor table in file order. */
    public List<GgufTensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    public GgufTensorInfo tensorInfo(String name) {
        return tensors.get(name);
    }

    /** Byte offset of the data section in the file. */
    public long dataStart() {
        return dataStart;
    }

    /**
     * The tensor named {@code ggufName} as a slice of the mapping, shape in PyTorch order (ggml's ne[] reversed):
     * F32, F16, BF16 and the block types Q8_0, Q5_0, Q4_K and Q6_K (kept quantized). Other quantized types are listed
     * by {@link #tensors()} but cannot be read this way.
     */
    public Tensor tensor(String ggufName) {
        GgufTensorInfo info = tensors.get(ggufName);
        if (info == null) throw new IllegalArgumentException(path + ": no tensor '" + ggufName + "'");
        DType dtype = info.type().dtype();
        if (dtype == null || !dtype.isWeight())
            throw new IllegalArgumentException(
                    path + ": tensor '" + ggufName + "' has type " + info.type()
                            + "; Veil reads F32, F16, BF16, Q8_0, Q5_0, Q4_K and Q6_K (requantize the model, e.g. llama-quantize ... Q4_K_M, or convert from the HF checkpoint)");
        return new Tensor(ggufName, dtype, info.shape(), file.asSlice(dataStart + info.offset(), info.byteSize()));
    }

    // --- metadata getters -------------------------------------------------------------------------------------

    public String getString(String key) {
        return required(key, String.class);
    }

    public String getString(String key, String dflt) {
        return metadata.get(key) instanceof String s ? s : dflt;
    }

    /** An integer of any integer type that fits an int. */
    public int getInt(String key) {
        required(key, Object.class);
        return getInt(key, 0);
    }

    public int getInt(String key, int dflt) {
        return typed(key, dflt, "an int", v -> switch (v) {
            case Integer i -> i;
            case Long l when l == (int) (long) l -> (int) (long) l;
            default -> null;
        });
    }

    public long getLong(String key, long dflt) {
        return typed(key, dflt, "an integer", v -> switch (v) {
            case Integer i -> i.longValue();
            case Long l -> l;
            default -> null;
        });
    }

    public float getFloat(String key, float dflt) {
        return typed(key, dflt, "a float", v -> switch (v) {
            case Float f -> f;
            case Double d -> (float) (double) d;
            default -> null;
        });
    }

    public boolean getBoolean(String key, boolean dflt) {
        return typed(key, dflt, "a bool", v -> v instanceof Boolean b ? b : null);
    }

    /** {@code key}'s value as {@code convert} reads it (null: not that type), {@code dflt} when absent. */
    private <T> T typed(String key, T dflt, String type, Function<Object, T> convert) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        T t = convert.apply(v);
        if (t == null)
            throw new IllegalArgumentException(path + ": metadata '" + key + "' is " + describe(v) + ", not " + type);
        return t;
    }

    @SuppressWarnings("unchecked")
    public List<String> getStringList(String key) {
        return (List<String>) required(key, List.class);
    }

    /** An integer array of any integer element type that fits int. */
    public int[] getIntArray(String key) {
        Object v = required(key, Object.class);
        if (v instanceof int[] a) return a;
        if (v instanceof long[] a) {
            int[] out = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                if (a[i] != (int) a[i])
                    throw new IllegalArgumentException(
                            path + ": metadata '" + key + "'[" + i + "] = " + a[i] + " does not fit an int");
                out[i] = (int) a[i];
            }
            return out;
        }
        throw new IllegalArgumentException(
                path + ": metadata '" + key + "' is " + describe(v) + ", not an integer array");
    }

    public float[] getFloatArray(String key) {
        return required(key, float[].class);
    }

    private <T> T required(String key, Class<T> cls) {
        Object v = metadata.get(key);
        if (v == null) throw new IllegalArgumentException(path + ": missing metadata key '" + key + "'");
        if (!cls.isInstance(v)) throw new IllegalArgumentException(path + ": metadata '" + key + "' is " + describe(v));
        return cls.cast(v);
    }

    private static String describe(Object v) {
        return switch (v) {
            case int[] a -> "an int array of " + a.length;
            case long[] a -> "a long array of " + a.length;
            case float[] a -> "a float array of " + a.length;
            case List<?> l -> "a string array of " + l.size();
            default -> "a " + v.getClass().getSimpleName() + " (" + v + ")";
        };
    }

    @Override
    public void close() {
        arena.close();
    }

    // --- parsing ----------------------------------------------------------------------------------------------

    private GgufValueType valueType(int id, String key) throws IOException {
        GgufValueType t = GgufValueType.of(id);
        if (t == null) throw new IOException(path + ": metadata key '" + key + "' has unknown value type " + id);
        return t;
    }

    private static Object readScalar(GgufCursor in, GgufValueType type) throws IOException {
        return switch (type) {
            case UINT8 -> in.u8() & 0xff;
            case INT8 -> (int) in.u8();
            case UINT16 -> in.i16() & 0xffff;
            case INT16 -> (int) in.i16();
            case INT32 -> in.i32();
            case UINT32 -> in.i32() & 0xffffffffL;
            case UINT64, INT64 -> in.i64();
            case FLOAT32 -> in.f32();
            case FLOAT64 -> in.f64();
            case BOOL -> in.u8() != 0;
            case STRING -> in.string();
            case ARRAY -> throw new IllegalStateException("nested array");
        };
    }

    private Object readArray(GgufCursor in, String key) throws IOException {
        GgufValueType type = valueType(in.i32(), key);
        if (type == GgufValueType.ARRAY)
            throw new IOException(
                    path + ": metadata key '" + key + "' is an array of arrays, which Veil does not read");
        elementTypes.put(key, type);
        long count = in.i64();
        in.require(count, type == GgufValueType.STRING ? 8 : type.bytes);
        int n = (int) count;
        switch (type) {
            case STRING -> {
                List<String> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) out.add(in.string());
                return Collections.unmodifiableList(out);
            }
            case UINT8, INT8, UINT16, INT16, INT32 -> {
                int[] out = new int[n];
                for (int i = 0; i < n; i++) out[i] = (Integer) readScalar(in, type);
                return out;
            }
            case UINT32 -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) out[i] = in.i32() & 0xffffffffL;
                return out;
            }
            case UINT64, INT64 -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) out[i] = in.i64();
                return out;
            }
            case FLOAT32 -> {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) out[i] = in.f32();
                return out;
            }
            case FLOAT64 -> {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) out[i] = in.f64();
                return out;
            }
            case BOOL -> {
                boolean[] out = new boolean[n];
                for (int i = 0; i < n; i++) out[i] = in.u8() != 0;
                return out;
            }
            default -> throw new IllegalStateException(type.toString());
        }
    }

    private GgufTensorInfo readTensorInfo(GgufCursor in) throws IOException {
        String name = in.string();
        in.context = "tensor '" + name + "'";
        int dims = in.i32();
        if (dims < 1 || dims > 4)
            throw new IOException(path + ": tensor '" + name + "' has " + Integer.toUnsignedString(dims)
                    + " dimensions (GGUF allows 1 to 4)");
        long[] ne = new long[dims];
        long elements = 1;
        for (int d = 0; d < dims; d++) {
            ne[d] = in.i64();
            if (ne[d] < 0 || (ne[d] > 0 && elements > Long.MAX_VALUE / ne[d]))
                throw new IOException(path + ": tensor '" + name + "' has invalid dimension ne[" + d + "] = "
                        + Long.toUnsignedString(ne[d]));
            elements *= ne[d];
        }
        int typeId = in.i32();
        GgmlType type = GgmlType.of(typeId);
        if (type == null) throw new IOException(path + ": tensor '" + name + "' has unknown ggml type " + typeId);
        if (ne[0] % type.blockSize != 0)
            throw new IOException(path + ": tensor '" + name + "' of type " + type + " has rows of " + ne[0]
                    + " elements, not a multiple of its block size " + type.blockSize);
        long offset = in.i64();
        GgufTensorInfo info = new GgufTensorInfo(name, type, ne, offset);
        try {
            info.byteSize();
        } catch (ArithmeticException e) {
            throw new IOException(path + ": tensor '" + name + "' of type " + type + " has " + elements
                    + " elements, more bytes than a file can hold");
        }
        return info;
    }

    /** Every tensor must lie inside the file, aligned, without overlapping another. */
    private void checkTensorData(long alignment) throws IOException {
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort((a, b) -> Long.compareUnsigned(a.offset(), b.offset()));
        long dataSize = file.byteSize() - dataStart;
        long end = 0;
        GgufTensorInfo previous = null;
        for (GgufTensorInfo t : byOffset) {
            if (t.offset() < 0 || t.offset() % alignment != 0)
                throw new IOException(path + ": tensor '" + t.name() + "' has offset "
                        + Long.toUnsignedString(t.offset()) + ", not a multiple of the alignment " + alignment);
            if (t.offset() < end)
                throw new IOException(path + ": tensor '" + t.name() + "' at offset " + t.offset()
                        + " overlaps tensor '" + previous.name() + "'");
            long size = t.byteSize();
            if (t.offset() > dataSize || size > dataSize - t.offset())
                throw new IOException(
                        path + ": truncated: tensor '" + t.name() + "' needs bytes " + (dataStart + t.offset()) + ".."
                                + (dataStart + t.offset() + size) + " but the file has " + file.byteSize() + " bytes");
            end = t.offset() + size;
            previous = t;
        }
    }

    static long align(long position, long alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    private static String printable(int magic) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < 4; i++) {
            int c = (magic >>> (8 * i)) & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.append('"').toString();
    }
}
