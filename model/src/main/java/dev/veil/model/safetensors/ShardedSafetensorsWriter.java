package dev.veil.model.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSink;
import dev.veil.model.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Streams a model's tensors into a Hugging Face model directory: {@code model.safetensors} when everything fits in
 * one shard, else {@code model-0000i-of-0000n.safetensors} files of at most {@code maxShardBytes} of data each
 * (a single larger tensor gets a shard of its own) plus {@code model.safetensors.index.json}.
 */
public final class ShardedSafetensorsWriter implements TensorSink {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, String> metadata;
    private final List<List<TensorSpec>> shards;
    private final List<String> fileNames;
    private int shard = -1;
    private int inShard;
    private SafetensorsWriter current;
    private boolean closed;

    private ShardedSafetensorsWriter(Path dir, List<TensorSpec> specs, Map<String, String> metadata, long maxShardBytes)
            throws IOException {
        if (maxShardBytes <= 0)
            throw new IllegalArgumentException("max shard size must be positive, got " + maxShardBytes);
        this.dir = dir;
        this.metadata = metadata;
        this.shards = plan(specs, maxShardBytes);
        this.fileNames = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++)
            fileNames.add(
                    shards.size() == 1
                            ? SINGLE_FILE
                            : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size()));
        Files.createDirectories(dir);
        // a stale index from an earlier export would point readers at the wrong files
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        Files.deleteIfExists(dir.resolve(SINGLE_FILE));
    }

    public static ShardedSafetensorsWriter create(
            Path dir, List<TensorSpec> specs, Map<String, String> metadata, long maxShardBytes) throws IOException {
        return new ShardedSafetensorsWriter(dir, specs, metadata, maxShardBytes);
    }

    /** The file names this writer produces, in shard order. */
    public List<String> fileNames() {
        return List.copyOf(fileNames);
    }

    @Override
    public void write(Tensor tensor) throws IOException {
        while (current == null || inShard == shards.get(shard).size()) {
            if (current != null) current.close();
            if (shard + 1 >= shards.size())
                throw new IllegalArgumentException(dir + ": tensor " + tensor + " is more than the announced tensors");
            shard++;
            inShard = 0;
            current = SafetensorsWriter.create(dir.resolve(fileNames.get(shard)), shards.get(shard), metadata);
        }
        current.write(tensor);
        inShard++;
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        if (current != null) current.close();
        int written = 0;
        for (int i = 0; i < shard; i++) written += shards.get(i).size();
        written += inShard;
        int total = shards.stream().mapToInt(List::size).sum();
        if (written < total)
            throw new IOException(dir + ": only " + written + " of " + total + " tensors were written");
        if (shards.isEmpty())
            SafetensorsWriter.create(dir.resolve(SINGLE_FILE), List.of(), metadata)
                    .close();
        if (shards.size() > 1) writeIndex();
    }

    private void writeIndex() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        long total = shards.stream()
                .flatMap(List::stream)
                .mapToLong(TensorSpec::byteSize)
                .sum();
        root.putObject("metadata").put("total_size", total);
        ObjectNode map = root.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) for (TensorSpec s : shards.get(i)) map.put(s.name(), fileNames.get(i));
        Files.writeString(
                dir.resolve(INDEX_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    /** Greedy: fill each shard in order until the next tensor would exceed the limit. */
    static List<List<TensorSpec>> plan(List<TensorSpec> specs, long maxShardBytes) {
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> cur = new ArrayList<>();
        long size = 0;
        for (TensorSpec s : specs) {
            if (!cur.isEmpty() && size + s.byteSize() > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(s);
            size += s.byteSize();
        }
        if (!cur.isEmpty()) shards.add(cur);
        return shards;
    }
}
