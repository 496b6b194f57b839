package dev.veil.model.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.JsonFiles;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSpec;
import dev.veil.model.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a safetensors checkpoint: one file, or a Hugging Face directory holding {@code model.safetensors}
 * or shards listed by {@code model.safetensors.index.json}. All files stay mapped until {@link #close()}.
 */
public final class SafetensorsWeights implements Weights {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName;

    private SafetensorsWeights(Path source, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
        this.source = source;
        this.files = files;
        this.byName = Collections.unmodifiableMap(byName);
    }

    /** Opens a {@code .safetensors} file or a model directory (single file or sharded). */
    public static SafetensorsWeights open(Path fileOrDir) throws IOException {
        if (!Files.isDirectory(fileOrDir)) {
            SafetensorsFile f = SafetensorsFile.open(fileOrDir);
            Map<String, SafetensorsFile> map = new LinkedHashMap<>();
            for (String n : f.names()) map.put(n, f);
            return new SafetensorsWeights(fileOrDir, List.of(f), map);
        }
        Path index = fileOrDir.resolve(ShardedSafetensorsWriter.INDEX_FILE);
        if (Files.exists(index)) return openSharded(fileOrDir, index);
        Path single = fileOrDir.resolve(ShardedSafetensorsWriter.SINGLE_FILE);
        if (Files.exists(single)) return open(single);
        throw new IOException(fileOrDir + ": no " + ShardedSafetensorsWriter.SINGLE_FILE + " or "
                + ShardedSafetensorsWriter.INDEX_FILE + " in the model directory");
    }

    private static SafetensorsWeights openSharded(Path dir, Path index) throws IOException {
        JsonNode weightMap = JsonFiles.read(index, null).path("weight_map");
        if (!weightMap.isObject() || weightMap.isEmpty())
            throw new IOException(index + ": missing or empty 'weight_map'");
        Map<String, SafetensorsFile> opened = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        try {
            for (var e : weightMap.properties()) {
                String shard = e.getValue().asText();
                if (shard.isEmpty() || shard.contains("/") || shard.contains("\\"))
                    throw new IOException(
                            index + ": tensor '" + e.getKey() + "' maps to invalid file name '" + e.getValue() + "'");
                SafetensorsFile f = opened.get(shard);
                if (f == null) {
                    Path p = dir.resolve(shard);
                    if (!Files.exists(p)) throw new IOException(p + ": missing shard listed in " + index.getFileName());
                    f = SafetensorsFile.open(p);
                    opened.put(shard, f);
                }
                if (!f.contains(e.getKey()))
                    throw new IOException(f.path() + ": no tensor '" + e.getKey() + "' although " + index.getFileName()
                            + " lists it there");
                byName.put(e.getKey(), f);
            }
        } catch (IOException | RuntimeException e) {
            opened.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsWeights(dir, new ArrayList<>(opened.values()), byName);
    }

    public Path source() {
        return source;
    }

    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    /** {@code __metadata__} of the first file. */
    public Map<String, String> metadata() {
        return files.isEmpty() ? Map.of() : files.getFirst().metadata();
    }

    public List<TensorSpec> specs() {
        return byName.keySet().stream().map(n -> TensorSpec.of(get(n))).toList();
    }

    @Override
    public Tensor get(String name) {
        SafetensorsFile f = byName.get(name);
        if (f == null) throw new IllegalArgumentException(source + ": no tensor '" + name + "'");
        return f.tensor(name);
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
