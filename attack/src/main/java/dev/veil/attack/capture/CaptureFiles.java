package dev.veil.attack.capture;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.Tensor;
import dev.veil.model.safetensors.SafetensorsFile;
import dev.veil.model.safetensors.SafetensorsWriter;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.SetupPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A capture on disk: a directory holding {@code capture.json} (the manifest: mode, model paths, public setting,
 * requests with their calls and token-id streams, setup seeds), {@code tensors.safetensors} (the recorded rows, one
 * F32 tensor per request and key, named {@code r<request>/<key>}) and, apart, {@code truth.json} (the plaintext,
 * for scoring only).
 */
public final class CaptureFiles {

    public static final String MANIFEST = "capture.json", TENSORS = "tensors.safetensors", TRUTH = "truth.json";
    static final String FORMAT = "veil-capture";
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CaptureFiles() {}

    /** Writes {@code capture} and {@code truth} into {@code dir} (created if needed). */
    public static void write(Path dir, Capture capture, Truth truth) throws IOException {
        Files.createDirectories(dir);
        List<Tensor> tensors = new ArrayList<>();
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("mode", capture.mode().toString());
        root.put("model", capture.model().toString());
        root.put("public_model", capture.publicModel().toString());
        ObjectNode setting = root.putObject("setting");
        capture.setting().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> setting.put(e.getKey(), e.getValue()));
        ArrayNode requests = root.putArray("requests");
        for (Request r : capture.requests()) {
            ObjectNode n = requests.addObject();
            n.put("index", r.index());
            ints(n.putArray("ids_in"), r.idsIn());
            ints(n.putArray("ids_out"), r.idsOut());
            ArrayNode calls = n.putArray("calls");
            for (Call c : r.calls()) calls.addArray().add(c.name()).add(c.rows());
            ObjectNode ts = n.putObject("tensors");
            r.tensors().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                String name = "r" + r.index() + "/" + e.getKey();
                Rows rows = e.getValue();
                ts.putObject(e.getKey()).put("tensor", name).put("cols", rows.cols());
                tensors.add(Tensor.ofFloats(name, rows.data(), rows.rows(), rows.cols()));
            });
        }
        ArrayNode setups = root.putArray("setups");
        for (SetupSeen s : capture.setups()) {
            setups.addObject()
                    .put("request", s.request())
                    .put("seed", Base64.getEncoder().encodeToString(s.seed()))
                    .put("hidden", s.plan().hidden().toString())
                    .put("embed", s.plan().embed().toString())
                    .put("check_vectors", s.plan().checkVectors());
        }
        SafetensorsWriter.write(dir.resolve(TENSORS), tensors, Map.of("format", FORMAT));
        JSON.writeValue(dir.resolve(MANIFEST).toFile(), root);
        writeTruth(dir.resolve(TRUTH), truth);
    }

    public static void writeTruth(Path file, Truth truth) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("note", "the plaintext behind a capture: for scoring only, never part of the server's view");
        ints(root.putArray("tau"), truth.tau());
        ArrayNode requests = root.putArray("requests");
        for (Truth.RequestTruth r : truth.requests()) {
            ObjectNode n = requests.addObject();
            ints(n.putArray("prompt"), r.prompt());
            ints(n.putArray("generated"), r.generated());
        }
        JSON.writeValue(file.toFile(), root);
    }

    /** Reads the capture in {@code dir}; the model paths are resolved against {@code dir} when relative. */
    public static Capture read(Path dir) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        JsonNode root = readJson(manifest);
        String where = manifest.toString();
        if (!FORMAT.equals(root.path("format").asText()))
            throw new IOException(where + ": field 'format' must be '" + FORMAT + "', got '"
                    + root.path("format").asText() + "'");
        if (root.path("version").asInt(-1) != VERSION)
            throw new IOException(
                    where + ": unsupported version " + root.path("version") + " (this Veil reads " + VERSION + ")");
        Mode mode;
        try {
            mode = Mode.parse(text(root, "mode", where));
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": field 'mode': " + e.getMessage());
        }
        Path model = dir.resolve(text(root, "model", where));
        Path publicModel = dir.resolve(text(root, "public_model", where));
        Map<String, String> setting = new LinkedHashMap<>();
        root.path("setting")
                .fields()
                .forEachRemaining(e -> setting.put(e.getKey(), e.getValue().asText()));

        List<Request> requests = new ArrayList<>();
        Path tensorFile = dir.resolve(TENSORS);
        if (!Files.exists(tensorFile))
            throw new IOException(
                    tensorFile + ": missing (a capture directory holds " + MANIFEST + " and " + TENSORS + ")");
        try (SafetensorsFile st = SafetensorsFile.open(tensorFile)) {
            for (JsonNode n : array(root, "requests", where)) {
                int index = n.path("index").asInt(-1);
                String at = where + ": request " + index;
                if (index < 0) throw new IOException(where + ": a request lacks a non-negative 'index'");
                List<Call> calls = new ArrayList<>();
                for (JsonNode c : array(n, "calls", at)) {
                    if (!c.isArray()
                            || c.size() != 2
                            || !c.get(0).isTextual()
                            || !c.get(1).canConvertToInt())
                        throw new IOException(at + ": field 'calls' must hold [name, rows] pairs, got " + c);
                    calls.add(new Call(c.get(0).asText(), c.get(1).asInt()));
                }
                Map<String, Rows> tensors = new LinkedHashMap<>();
                var fields = n.path("tensors").fields();
                while (fields.hasNext()) {
                    var e = fields.next();
                    String name = e.getValue().path("tensor").asText();
                    int cols = e.getValue().path("cols").asInt(-1);
                    if (!st.contains(name))
                        throw new IOException(at + ": tensor '" + name + "' is not in " + tensorFile);
                    Tensor t = st.tensor(name);
                    if (t.rank() != 2 || t.cols() != cols)
                        throw new IOException(at + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                                + ", the manifest says " + cols + " columns");
                    tensors.put(e.getKey(), new Rows(cols, t.toFloats()));
                }
                requests.add(new Request(index, calls, tensors, ints(n, "ids_in", at), ints(n, "ids_out", at)));
            }
        }
        List<SetupSeen> setups = new ArrayList<>();
        for (JsonNode s : array(root, "setups", where)) {
            try {
                setups.add(new SetupSeen(
                        s.path("request").asInt(),
                        Base64.getDecoder().decode(text(s, "seed", where + ": setups")),
                        new SetupPlan(
                                MaskSpec.parse(text(s, "hidden", where + ": setups")),
                                MaskSpec.parse(text(s, "embed", where + ": setups")),
                                s.path("check_vectors").asInt())));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": a setup entry is malformed: " + e.getMessage());
            }
        }
        return new Capture(mode, model, publicModel, setting, requests, setups);
    }

    /** Reads a truth file. */
    public static Truth readTruth(Path file) throws IOException {
        JsonNode root = readJson(file);
        String where = file.toString();
        List<Truth.RequestTruth> requests = new ArrayList<>();
        for (JsonNode n : array(root, "requests", where))
            requests.add(new Truth.RequestTruth(ints(n, "prompt", where), ints(n, "generated", where)));
        return new Truth(requests, ints(root, "tau", where));
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(file));
            if (n == null || !n.isObject()) throw new IOException(file + ": not a JSON object");
            return n;
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": missing", e);
        } catch (JacksonException e) {
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    private static String text(JsonNode n, String field, String where) throws IOException {
        if (!n.path(field).isTextual())
            throw new IOException(where + ": field '" + field + "' missing or not a string");
        return n.get(field).asText();
    }

    private static JsonNode array(JsonNode n, String field, String where) throws IOException {
        if (!n.path(field).isArray()) throw new IOException(where + ": field '" + field + "' missing or not an array");
        return n.get(field);
    }

    private static int[] ints(JsonNode n, String field, String where) throws IOException {
        JsonNode a = array(n, field, where);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).canConvertToInt())
                throw new IOException(where + ": field '" + field + "' holds a non-integer " + a.get(i));
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static void ints(ArrayNode a, int[] values) {
        for (int v : values) a.add(v);
    }
}
