package dev.veil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.Tensor;
import dev.veil.model.safetensors.SafetensorsFile;
import dev.veil.model.safetensors.SafetensorsWriter;
import dev.veil.train.model.Parameter;
import dev.veil.train.model.Transformer;
import dev.veil.train.optim.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to continue a training run exactly where it stopped, in one safetensors file: the F32
 * weights ({@code param/NAME}), AdamW's moments ({@code adam_m/NAME}, {@code adam_v/NAME}), and in the metadata
 * the next step, the settings fingerprint, the tokenizer's digest and the training log so far. Written to a
 * temporary file and renamed into place, so a crash never leaves a torn checkpoint.
 */
public final class Checkpoint {
    static final String FORMAT = "veil-train-checkpoint/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a checkpoint holds besides the tensors. */
    public record State(int step, long optimizerSteps, ObjectNode fingerprint, String tokenizerSha256, ArrayNode log) {}

    private Checkpoint() {}

    public static void save(Path file, Transformer model, AdamW optimizer, State state) throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        for (Parameter p : model.parameters()) {
            long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
            tensors.add(Tensor.ofFloats("param/" + p.name(), p.value(), shape));
            tensors.add(Tensor.ofFloats("adam_m/" + p.name(), optimizer.firstMoment(p.name()), shape));
            tensors.add(Tensor.ofFloats("adam_v/" + p.name(), optimizer.secondMoment(p.name()), shape));
        }
        Map<String, String> meta = new HashMap<>();
        meta.put("format", FORMAT);
        meta.put("step", Integer.toString(state.step()));
        meta.put("optimizer_steps", Long.toString(state.optimizerSteps()));
        meta.put("fingerprint", state.fingerprint().toString());
        meta.put("tokenizer_sha256", state.tokenizerSha256());
        meta.put("log", state.log().toString());
        SafetensorsWriter.write(file, tensors, meta);
    }

    /** Reads the state of {@code file} without touching any model (to check it before anything is written). */
    public static State readState(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!FORMAT.equals(meta.get("format")))
                throw new IOException(
                        file + ": not a Veil training checkpoint (metadata format is " + meta.get("format") + ")");
            try {
                return new State(
                        Integer.parseInt(meta.get("step")),
                        Long.parseLong(meta.get("optimizer_steps")),
                        (ObjectNode) JSON.readTree(meta.get("fingerprint")),
                        meta.get("tokenizer_sha256"),
                        (ArrayNode) JSON.readTree(meta.get("log")));
            } catch (RuntimeException e) {
                throw new IOException(file + ": corrupt checkpoint metadata (" + e.getMessage() + ")");
            }
        }
    }

    /**
     * Refuses a checkpoint written under other settings, naming the first setting that differs.
     * @throws IOException "checkpoint X was written with training.lr = 0.003, the config says 0.001"
     */
    public static void requireCompatible(Path file, State state, ObjectNode fingerprint, String tokenizerSha256)
            throws IOException {
        // the tokenizer's path is resolved against the config's folder, so it differs between checkouts and machines;
        // the tokenizer itself is compared by its SHA-256 below
        String diff = firstDifference("", withoutTokenizerPath(state.fingerprint()), withoutTokenizerPath(fingerprint));
        if (diff != null)
            throw new IOException(
                    "cannot resume from " + file + ": it was written with " + diff + "; nothing was changed");
        if (!state.tokenizerSha256().equals(tokenizerSha256))
            throw new IOException(
                    "cannot resume from " + file + ": it was trained with another tokenizer.json (SHA-256 "
                            + state.tokenizerSha256() + ", found " + tokenizerSha256 + "); nothing was changed");
    }

    private static ObjectNode withoutTokenizerPath(ObjectNode fingerprint) {
        ObjectNode copy = fingerprint.deepCopy();
        if (copy.get("tokenizer") instanceof ObjectNode t) t.remove("path");
        return copy;
    }

    private static String firstDifference(String path, JsonNode saved, JsonNode now) {
        if (saved.isObject() && now.isObject()) {
            Iterator<String> names = saved.fieldNames();
            while (names.hasNext()) {
                String f = names.next();
                String d = firstDifference(path.isEmpty() ? f : path + "." + f, saved.get(f), now.path(f));
                if (d != null) return d;
            }
            Iterator<String> added = now.fieldNames();
            while (added.hasNext()) {
                String f = added.next();
                if (!saved.has(f))
                    return (path.isEmpty() ? f : path + "." + f) + " unset, the config sets " + now.get(f);
            }
            return null;
        }
        return saved.equals(now)
                ? null
                : path + " = " + saved + ", the config says " + (now.isMissingNode() ? "nothing" : now);
    }

    /** Loads weights and optimizer moments saved by {@link #save} into a model and optimizer of the same shapes. */
    public static void restore(Path file, Transformer model, AdamW optimizer, State state) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, float[]> m = new HashMap<>(), v = new HashMap<>();
            for (Parameter p : model.parameters()) {
                float[] w = read(f, "param/" + p.name(), p);
                System.arraycopy(w, 0, p.value(), 0, w.length);
                m.put(p.name(), read(f, "adam_m/" + p.name(), p));
                v.put(p.name(), read(f, "adam_v/" + p.name(), p));
            }
            optimizer.restore(state.optimizerSteps(), m, v);
        }
    }

    private static float[] read(SafetensorsFile f, String name, Parameter p) throws IOException {
        if (!f.contains(name)) throw new IOException(f.path() + ": checkpoint lacks tensor " + name);
        float[] a = f.tensor(name).toFloats();
        if (a.length != p.size())
            throw new IOException(
                    f.path() + ": tensor " + name + " has " + a.length + " values, the model " + p.size());
        return a;
    }
}
