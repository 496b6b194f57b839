package dev.veil.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.gguf.GgufFile;
import dev.veil.model.gguf.GgufModel;
import dev.veil.model.gguf.GgufTensorInfo;
import dev.veil.model.safetensors.SafetensorsFile;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code veil inspect} shows about a model directory, a {@code .safetensors} file or a {@code .gguf} file:
 * format, config (when the file is a model Veil runs), metadata, and the tensor table. Nothing is loaded but the
 * headers. Long metadata arrays (a vocabulary) are summarized as "[N strings]".
 */
public record ModelInfo(
        Path path, String format, ModelConfig config, Map<String, String> metadata, List<TensorEntry> tensors) {

    /** One tensor: its type name (F32, BF16, Q4_K, ...) and shape in PyTorch order. */
    public record TensorEntry(String name, String type, long[] shape, long bytes) {
        public long elements() {
            return Tensor.count(shape);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ModelInfo of(Path path) throws IOException {
        if (!Files.exists(path)) throw new IOException(path + ": no such file or directory");
        if (Files.isDirectory(path)) return ofHfDir(path);
        if (path.getFileName().toString().endsWith(".safetensors")) return ofSafetensors(path);
        return ofGguf(path);
    }

    private static ModelInfo ofHfDir(Path dir) throws IOException {
        ModelConfig config = ModelConfig.read(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            List<TensorEntry> tensors = new ArrayList<>();
            for (String n : w.names()) {
                Tensor t = w.get(n);
                tensors.add(
                        new TensorEntry(n, t.dtype().name(), t.shape(), t.data().byteSize()));
            }
            Map<String, String> meta = new LinkedHashMap<>(w.metadata());
            meta.put(
                    "files",
                    String.join(
                            ", ",
                            w.files().stream()
                                    .map(p -> p.getFileName().toString())
                                    .toList()));
            return new ModelInfo(dir, "hf", config, meta, tensors);
        }
    }

    private static ModelInfo ofSafetensors(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            List<TensorEntry> tensors = f.specs().stream()
                    .map(s -> new TensorEntry(s.name(), s.dtype().name(), s.shape(), s.byteSize()))
                    .toList();
            return new ModelInfo(file, "safetensors", null, f.metadata(), tensors);
        }
    }

    private static ModelInfo ofGguf(Path file) throws IOException {
        try (GgufFile g = GgufFile.open(file)) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("gguf.version", String.valueOf(g.version()));
            g.metadata().forEach((k, v) -> meta.put(k, summarize(v)));
            List<TensorEntry> tensors = new ArrayList<>();
            for (GgufTensorInfo t : g.tensors())
                tensors.add(new TensorEntry(t.name(), t.type().name(), t.shape(), t.byteSize()));
            ModelConfig config = null;
            String arch = g.getString("general.architecture", "");
            if (!g.tensors().isEmpty() && GgufModel.readable(arch)) config = GgufModel.config(g);
            return new ModelInfo(file, "gguf", config, meta, tensors);
        }
    }

    public long parameterCount() {
        return tensors.stream().mapToLong(TensorEntry::elements).sum();
    }

    public long tensorBytes() {
        return tensors.stream().mapToLong(TensorEntry::bytes).sum();
    }

    /** Parameters per tensor type, e.g. {BF16=..., F32=...}. */
    public Map<String, Long> parametersByType() {
        Map<String, Long> m = new TreeMap<>();
        for (TensorEntry t : tensors) m.merge(t.type(), t.elements(), Long::sum);
        return m;
    }

    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("path", path.toString());
        n.put("format", format);
        if (config != null) n.set("config", config.toJson());
        n.put("parameters", parameterCount());
        n.put("tensor_bytes", tensorBytes());
        ObjectNode byType = n.putObject("parameters_by_type");
        parametersByType().forEach(byType::put);
        ObjectNode meta = n.putObject("metadata");
        metadata.forEach(meta::put);
        var arr = n.putArray("tensors");
        for (TensorEntry t : tensors) {
            ObjectNode e = arr.addObject();
            e.put("name", t.name());
            e.put("dtype", t.type());
            var shape = e.putArray("shape");
            for (long d : t.shape()) shape.add(d);
        }
        return n;
    }

    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append(path).append(" (").append(format).append(")\n");
        if (config != null) {
            ModelConfig c = config;
            b.append(String.format("architecture  %s%n", c.architecture().hfClass));
            b.append(String.format(
                    "layers %d, hidden %d, intermediate %d, vocab %d%n",
                    c.numLayers(), c.hiddenSize(), c.intermediateSize(), c.vocabSize()));
            b.append(String.format(
                    "heads %d, kv heads %d, head_dim %d, attention bias %s, tied embeddings %s%n",
                    c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionBias(), c.tieWordEmbeddings()));
            if (c.qkNorm()) b.append("q_norm/k_norm over head_dim\n");
            if (c.moe() != null)
                b.append(String.format(
                        "experts %d, %d per token, expert intermediate %d, norm_topk_prob %s, sparse step %d, mlp-only layers %s%n",
                        c.moe().numExperts(),
                        c.moe().expertsPerToken(),
                        c.moe().moeIntermediateSize(),
                        c.moe().normTopkProb(),
                        c.moe().decoderSparseStep(),
                        c.moe().mlpOnlyLayers()));
            b.append(String.format(
                    "rope theta %s%s, rms eps %s, context %d%n",
                    c.ropeTheta(),
                    c.ropeScaling() == null ? "" : ", llama3 scaling " + c.ropeScaling(),
                    c.rmsNormEps(),
                    c.maxPositionEmbeddings()));
        }
        b.append(String.format(
                "parameters    %,d (%s), %,d bytes%n", parameterCount(), parametersByType(), tensorBytes()));
        if (!metadata.isEmpty()) {
            b.append("metadata\n");
            metadata.forEach(
                    (k, v) -> b.append("  ").append(k).append(" = ").append(v).append('\n'));
        }
        b.append("tensors (").append(tensors.size()).append(")\n");
        for (TensorEntry t : tensors)
            b.append("  ")
                    .append(t.name())
                    .append(' ')
                    .append(t.type())
                    .append(Arrays.toString(t.shape()))
                    .append('\n');
        return b.toString();
    }

    private static String summarize(Object v) {
        return switch (v) {
            case List<?> l when l.size() > 8 -> "[" + l.size() + " strings]";
            case int[] a when a.length > 8 -> "[" + a.length + " ints]";
            case long[] a when a.length > 8 -> "[" + a.length + " ints]";
            case float[] a when a.length > 8 -> "[" + a.length + " floats]";
            case int[] a -> Arrays.toString(a);
            case long[] a -> Arrays.toString(a);
            case float[] a -> Arrays.toString(a);
            case double[] a -> Arrays.toString(a);
            case boolean[] a -> Arrays.toString(a);
            case String s
            when s.length() > 120 -> s.substring(0, 117).replace("\n", "\\n") + "... (" + s.length() + " chars)";
            case String s -> s.replace("\n", "\\n");
            default -> String.valueOf(v);
        };
    }
}
