package dev.veil.model.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.DType;
import dev.veil.model.MappedFile;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped {@code .safetensors} file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the data. Tensors are slices of the mapping (never copied) and stay
 * valid until {@link #close()}. The header is validated on open; every problem is an IOException "PATH: problem".
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation refuses headers above 100 MB; so does Veil. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    static final String METADATA_KEY = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private record Entry(TensorSpec spec, long begin) {}

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, Entry> entries;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file) throws IOException {
        this.path = path;
        this.arena = arena;
        this.file = file;
        if (file.byteSize() < 8)
            throw new IOException(
                    path + ": truncated: " + file.byteSize() + " bytes, too short for the safetensors header length");
        long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES)
            throw new IOException(path + ": not a safetensors file (header length "
                    + Long.toUnsignedString(headerLength) + " is not plausible)");
        if (headerLength > file.byteSize() - 8)
            throw new IOException(path + ": truncated: header length " + headerLength
                    + " runs past the end of the file (" + file.byteSize() + " bytes)");
        dataStart = 8 + headerLength;
        byte[] header = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = JSON.readTree(new String(header, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IOException(path + ": header is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new IOException(path + ": header is not a JSON object");

        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (var field : root.properties()) {
            String name = field.getKey();
            JsonNode v = field.getValue();
            if (name.equals(METADATA_KEY)) {
                if (!v.isObject()) throw new IOException(path + ": __metadata__ is not an object");
                for (var m : v.properties()) {
                    if (!m.getValue().isTextual())
                        throw new IOException(path + ": __metadata__ value '" + m.getKey() + "' is not a string");
                    meta.put(m.getKey(), m.getValue().asText());
                }
            } else {
                byName.put(name, parseEntry(name, v, file.byteSize() - dataStart));
            }
        }
        checkNoOverlaps(byName.values());
        metadata = Collections.unmodifiableMap(meta);
        entries = Collections.unmodifiableMap(byName);
    }

    /** Maps {@code path} read-only and validates its header. */
    public static SafetensorsFile open(Path path) throws IOException {
        return MappedFile.open(path, SafetensorsFile::new);
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} strings (e.g. {"format": "pt"}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** Name, dtype and shape of every tensor, in header order. */
    public List<TensorSpec> specs() {
        return entries.values().stream().map(Entry::spec).toList();
    }

    /** The tensor as a slice of the mapping, or an IllegalArgumentException naming the file and tensor. */
    public Tensor tensor(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new IllegalArgumentException(path + ": no tensor '" + name + "'");
        TensorSpec s = e.spec();
        return new Tensor(name, s.dtype(), s.shape(), file.asSlice(dataStart + e.begin(), s.byteSize()));
    }

    @Override
    public void close() {
        arena.close();
    }

    private Entry parseEntry(String name, JsonNode v, long dataSize) throws IOException {
        String where = path + ": tensor '" + name + "'";
        if (!v.isObject()) throw new IOException(where + ": header entry is not an object");
        JsonNode dtypeNode = v.get("dtype"), shapeNode = v.get("shape"), offsets = v.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual()) throw new IOException(where + ": missing or invalid 'dtype'");
        if (shapeNode == null || !shapeNode.isArray()) throw new IOException(where + ": missing or invalid 'shape'");
        if (offsets == null
                || !offsets.isArray()
                || offsets.size() != 2
                || !offsets.get(0).canConvertToLong()
                || !offsets.get(1).canConvertToLong())
            throw new IOException(where + ": missing or invalid 'data_offsets' (expected [begin, end])");
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeNode.asText());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage());
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) throw new IOException(where + ": invalid shape " + shapeNode);
            shape[i] = d.asLong();
            if (shape[i] != 0 && elements > Long.MAX_VALUE / dtype.bytes / shape[i])
                throw new IOException(where + ": shape " + shapeNode + " is too large");
            elements *= shape[i];
        }
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) throw new IOException(where + ": invalid data_offsets " + offsets);
        if (end > dataSize)
            throw new IOException(path + ": truncated: tensor '" + name + "' data_offsets " + offsets
                    + " run past the end of the data (" + dataSize + " bytes)");
        if (end - begin != elements * dtype.bytes)
            throw new IOException(where + ": data_offsets " + offsets + " hold " + (end - begin) + " bytes but shape "
                    + shapeNode + " of " + dtype + " needs " + elements * dtype.bytes);
        return new Entry(new TensorSpec(name, dtype, shape), begin);
    }

    private void checkNoOverlaps(Collection<Entry> all) throws IOException {
        List<Entry> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1), cur = sorted.get(i);
            if (cur.begin() < prev.begin() + prev.spec().byteSize())
                throw new IOException(path + ": tensors '" + prev.spec().name() + "' and '"
                        + cur.spec().name() + "' overlap");
        }
    }
}
