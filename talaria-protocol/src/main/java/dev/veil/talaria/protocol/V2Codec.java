package dev.veil.talaria.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The Open Inference Protocol (KServe V2) body with the binary tensor data extension, as Triton speaks it:
 * a JSON header ({@code Inference-Header-Content-Length} bytes) followed by each tensor's raw little-endian
 * FP32 bytes in header order. Only FP32 and only binary data: a float never travels as JSON text.
 */
public final class V2Codec {

    /** HTTP header carrying the JSON header's length in bytes. */
    public static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    public static final String CONTENT_TYPE = "application/octet-stream";

    static final ObjectMapper JSON = new ObjectMapper();

    private V2Codec() {}

    /** An encoded body: the JSON header's length goes into {@link #HEADER_LENGTH}. */
    public record Body(byte[] bytes, int jsonLength) {}

    /** Lays out {@code header} (whose tensor entries get their binary_data_size) then the tensors' bytes. */
    static Body encode(ObjectNode header, ArrayNode tensorEntries, List<InferTensor> tensors) {
        long binary = 0;
        for (InferTensor t : tensors) {
            ObjectNode e = tensorEntries.addObject();
            e.put("name", t.name());
            ArrayNode shape = e.putArray("shape");
            for (long s : t.shape()) shape.add(s);
            e.put("datatype", "FP32");
            e.putObject("parameters").put("binary_data_size", t.byteSize());
            binary += t.byteSize();
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] body = new byte[Math.toIntExact(json.length + binary)];
        System.arraycopy(json, 0, body, 0, json.length);
        ByteBuffer buf = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        int pos = json.length;
        for (InferTensor t : tensors) {
            buf.position(pos);
            buf.asFloatBuffer().put(t.data());
            pos += (int) t.byteSize();
        }
        return new Body(body, json.length);
    }

    /** The JSON header of a body; errors say what is wrong with it. */
    static JsonNode header(byte[] body, int jsonLength) {
        if (jsonLength < 0 || jsonLength > body.length)
            throw new IllegalArgumentException(
                    HEADER_LENGTH + " " + jsonLength + " does not fit a body of " + body.length + " bytes");
        try {
            JsonNode n = JSON.readTree(body, 0, jsonLength);
            if (n == null || !n.isObject()) throw new IllegalArgumentException("inference header is not a JSON object");
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException("inference header is not valid JSON ("
                    + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /** Reads the tensors listed in {@code entries} from the binary part of the body. */
    static List<InferTensor> tensors(JsonNode entries, String field, byte[] body, int jsonLength) {
        if (!entries.isArray()) throw new IllegalArgumentException("'" + field + "' must be an array of tensors");
        List<InferTensor> out = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        long pos = jsonLength;
        for (JsonNode e : entries) {
            String name = e.path("name").asText(null);
            if (name == null) throw new IllegalArgumentException("a tensor in '" + field + "' has no name");
            String dtype = e.path("datatype").asText("");
            if (!dtype.equals("FP32"))
                throw new IllegalArgumentException(
                        "tensor '" + name + "': datatype '" + dtype + "' is not supported (FP32 only)");
            if (e.has("data"))
                throw new IllegalArgumentException(
                        "tensor '" + name + "': JSON 'data' is not accepted; send it with the binary tensor extension");
            JsonNode shapeNode = e.path("shape");
            if (!shapeNode.isArray() || shapeNode.isEmpty())
                throw new IllegalArgumentException("tensor '" + name + "': missing 'shape'");
            long[] shape = new long[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode s = shapeNode.get(i);
                if (!s.isIntegralNumber() || !s.canConvertToLong() || s.asLong() < 0)
                    throw new IllegalArgumentException("tensor '" + name + "': invalid shape " + shapeNode);
                shape[i] = s.asLong();
                // a shape holding more floats than the body has bytes is refused before it can overflow
                if (shape[i] != 0 && count > body.length / 4 / shape[i])
                    throw new IllegalArgumentException("tensor '" + name + "': shape " + shapeNode
                            + " holds more floats than the body (" + body.length + " bytes) carries");
                count *= shape[i];
            }
            JsonNode size = e.path("parameters").path("binary_data_size");
            if (!size.canConvertToLong())
                throw new IllegalArgumentException(
                        "tensor '" + name + "': missing parameters.binary_data_size (binary tensor extension)");
            if (size.asLong() != 4 * count)
                throw new IllegalArgumentException("tensor '" + name + "': binary_data_size " + size.asLong()
                        + " does not match shape " + shapeNode + " of FP32 (" + 4 * count + " bytes)");
            if (pos + size.asLong() > body.length)
                throw new IllegalArgumentException(
                        "tensor '" + name + "': binary data runs past the end of the body (" + body.length + " bytes)");
            float[] data = new float[Math.toIntExact(count)];
            buf.position((int) pos);
            buf.asFloatBuffer().get(data);
            pos += size.asLong();
            out.add(new InferTensor(name, shape, data));
        }
        if (pos != body.length)
            throw new IllegalArgumentException((body.length - pos) + " bytes after the last tensor of the body");
        return out;
    }
}
