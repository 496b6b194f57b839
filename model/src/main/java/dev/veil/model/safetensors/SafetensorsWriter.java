package dev.veil.model.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.PartialFile;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSink;
import dev.veil.model.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Streams one {@code .safetensors} file: the header is written from the specs up front, then each tensor's bytes
 * as it arrives, so memory stays bounded by one tensor. Data follows the header contiguously in spec order; the
 * header is padded with spaces so the data starts 8-byte aligned. Output goes to a temporary file that replaces
 * {@code path} only when every tensor has been written.
 */
public final class SafetensorsWriter implements TensorSink {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PartialFile file;

    private SafetensorsWriter(Path path, List<TensorSpec> specs, Map<String, String> metadata) throws IOException {
        Set<String> seen = new HashSet<>();
        for (TensorSpec s : specs) {
            if (s.name().equals(SafetensorsFile.METADATA_KEY) || !seen.add(s.name()))
                throw new IllegalArgumentException(path + ": duplicate or reserved tensor name '" + s.name() + "'");
        }
        this.file = new PartialFile(path, specs);
        file.write(ByteBuffer.wrap(header(specs, metadata)));
    }

    /** Starts {@code path}: writes its header; then call {@link #write} once per spec, in order, and {@link #close}. */
    public static SafetensorsWriter create(Path path, List<TensorSpec> specs, Map<String, String> metadata)
            throws IOException {
        return new SafetensorsWriter(path, specs, metadata);
    }

    /** Writes {@code tensors} (in iteration order) to {@code path}. */
    public static void write(Path path, Collection<Tensor> tensors, Map<String, String> metadata) throws IOException {
        try (SafetensorsWriter w =
                create(path, tensors.stream().map(TensorSpec::of).toList(), metadata)) {
            for (Tensor t : tensors) w.write(t);
        }
    }

    @Override
    public void write(Tensor tensor) throws IOException {
        file.writeTensor(tensor);
    }

    /** Renames the finished file into place, or deletes it and fails if tensors are missing. */
    @Override
    public void close() throws IOException {
        file.close();
    }

    /** Length prefix + JSON header padded with spaces so that the data starts at a multiple of 8. */
    static byte[] header(List<TensorSpec> specs, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (TensorSpec s : specs) {
            ObjectNode e = root.putObject(s.name());
            e.put("dtype", s.dtype().name());
            var shape = e.putArray("shape");
            for (long d : s.shape()) shape.add(d);
            e.putArray("data_offsets").add(offset).add(offset + s.byteSize());
            offset += s.byteSize();
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(json);
        while (buf.hasRemaining()) buf.put((byte) ' ');
        return buf.array();
    }
}
