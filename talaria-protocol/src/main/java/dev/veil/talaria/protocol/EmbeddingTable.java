package dev.veil.talaria.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.ModelConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The embedding table handed to an attested client that may hold it (design D1's alternative: the client looks rows up
 * itself instead of sending a V-wide masked one-hot row per token), and for a tied model the final norm weight γ, with
 * which the same table is the LM head. Travels as a KServe V2 binary body ({@code GET /v1/talaria/embedding}): tensor
 * {@code embedding} [V, d] in the model's own storage type (BF16 or FP32, raw little-endian, so the client's rows are
 * bit for bit the local engine's) and, for tied models, {@code final_norm} [d] FP32.
 *
 * @param bf16      the table as stored in BF16: its little-endian bytes, as the model file holds them, in a native
 *                  segment (the engine's BF16 kernel reads it as it reads a mapped file's rows), or null
 * @param f32       the table in FP32, or null (exactly one of the two is set)
 * @param finalNorm γ of the final RMSNorm for a tied model's LM head, or null
 */
public record EmbeddingTable(int vocab, int dim, MemorySegment bf16, float[] f32, float[] finalNorm) {

    public static final String PATH = "/v1/talaria/embedding";

    public EmbeddingTable {
        if ((bf16 == null) == (f32 == null))
            throw new IllegalArgumentException("an embedding table is BF16 or FP32, exactly one");
        long count = (long) vocab * dim;
        if (bf16 != null && (dim % 2 != 0 || bf16.byteSize() != 2 * count) || f32 != null && f32.length != count)
            throw new IllegalArgumentException("embedding table data does not hold [" + vocab + ", " + dim + "]");
        if (finalNorm != null && finalNorm.length != dim)
            throw new IllegalArgumentException("final norm of " + finalNorm.length + " for d = " + dim);
    }

    /** Bytes of the table's values. */
    public long byteSize() {
        return bf16 != null ? bf16.byteSize() : f32.length * 4L;
    }

    /** The body: JSON header, the table's raw bytes ({@code raw}: BF16 or FP32 little-endian), then γ if given. */
    public static V2Codec.Body encode(int vocab, int dim, boolean isBf16, ByteBuffer raw, float[] finalNorm) {
        ObjectNode header = V2Codec.JSON.createObjectNode();
        header.put("model_name", "talaria-tables");
        ArrayNode outputs = header.putArray("outputs");
        ObjectNode e = outputs.addObject();
        e.put("name", "embedding");
        e.putArray("shape").add(vocab).add(dim);
        e.put("datatype", isBf16 ? "BF16" : "FP32");
        e.putObject("parameters").put("binary_data_size", raw.remaining());
        if (finalNorm != null) {
            ObjectNode g = outputs.addObject();
            g.put("name", "final_norm");
            g.putArray("shape").add(dim);
            g.put("datatype", "FP32");
            g.putObject("parameters").put("binary_data_size", 4L * dim);
        }
        byte[] json;
        try {
            json = V2Codec.JSON.writeValueAsBytes(header);
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
        byte[] body =
                new byte[Math.toIntExact(json.length + (long) raw.remaining() + (finalNorm == null ? 0 : 4L * dim))];
        System.arraycopy(json, 0, body, 0, json.length);
        ByteBuffer out = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        out.position(json.length);
        out.put(raw.duplicate());
        if (finalNorm != null) for (float v : finalNorm) out.putFloat(v);
        return new V2Codec.Body(body, json.length);
    }

    /** Decodes a body and checks it against the model's config: a table of another model is refused. */
    public static EmbeddingTable decode(byte[] body, int jsonLength, ModelConfig c) {
        try {
            return decode(new ByteArrayInputStream(body), jsonLength, c);
        } catch (IOException e) {
            throw new IllegalStateException(e); // not from a byte array
        }
    }

    /**
     * Decodes a body as it arrives, straight into the table's arrays (a 272 MB table is not held twice), checking it
     * against the model's config: a table of another model is refused.
     */
    public static EmbeddingTable decode(InputStream in, int jsonLength, ModelConfig c) throws IOException {
        byte[] json = in.readNBytes(jsonLength);
        JsonNode header = V2Codec.header(json, json.length);
        if (json.length != jsonLength) throw new IllegalArgumentException("body ends inside its JSON header");
        int v = c.vocabSize(), d = c.hiddenSize();
        MemorySegment bf16 = null;
        float[] f32 = null, gamma = null;
        for (JsonNode e : header.path("outputs")) {
            String name = e.path("name").asText(""), type = e.path("datatype").asText("");
            long size = e.path("parameters").path("binary_data_size").asLong(-1);
            switch (name) {
                case "embedding" -> {
                    long count = (long) v * d;
                    if (!shapeIs(e, v, d))
                        throw new IllegalArgumentException(
                                "embedding shape " + e.path("shape") + ", expected [" + v + ", " + d + "]");
                    if (type.equals("BF16") && size == 2 * count) {
                        MemorySegment target = bf16 = Arena.ofAuto().allocate(2 * count, 64);
                        read(
                                in,
                                Math.toIntExact(count / 2),
                                (buf, at, n) ->
                                        MemorySegment.copy(MemorySegment.ofBuffer(buf), 0, target, 4L * at, 4L * n),
                                4);
                    } else if (type.equals("FP32") && size == 4 * count) {
                        float[] target = f32 = new float[Math.toIntExact(count)];
                        read(
                                in,
                                target.length,
                                (buf, at, n) -> buf.asFloatBuffer().get(target, at, n),
                                4);
                    } else {
                        throw new IllegalArgumentException(
                                "embedding: " + type + " with " + size + " bytes for [" + v + ", " + d + "]");
                    }
                }
                case "final_norm" -> {
                    if (!type.equals("FP32") || size != 4L * d || !shapeIs(e, d))
                        throw new IllegalArgumentException("final_norm must be FP32 [" + d + "]");
                    float[] target = gamma = new float[d];
                    read(in, d, (buf, at, n) -> buf.asFloatBuffer().get(target, at, n), 4);
                }
                default ->
                    throw new IllegalArgumentException("unexpected tensor '" + name + "' in an embedding table body");
            }
        }
        if (bf16 == null && f32 == null) throw new IllegalArgumentException("the body holds no 'embedding' tensor");
        if (in.read() >= 0) throw new IllegalArgumentException("bytes after the last tensor of the body");
        return new EmbeddingTable(v, d, bf16, f32, gamma);
    }

    private interface Sink {
        void take(ByteBuffer littleEndian, int at, int count);
    }

    /** {@code count} values of {@code width} bytes from {@code in}, a megabyte at a time. */
    private static void read(InputStream in, int count, Sink sink, int width) throws IOException {
        byte[] chunk = new byte[(1 << 20) / width * width];
        for (int at = 0; at < count; ) {
            int n = Math.min(count - at, chunk.length / width);
            int got = in.readNBytes(chunk, 0, n * width);
            if (got != n * width) throw new IllegalArgumentException("body cut short inside a tensor");
            sink.take(ByteBuffer.wrap(chunk, 0, got).order(ByteOrder.LITTLE_ENDIAN), at, n);
            at += n;
        }
    }

    private static boolean shapeIs(JsonNode e, long... dims) {
        JsonNode s = e.path("shape");
        if (!s.isArray() || s.size() != dims.length) return false;
        for (int i = 0; i < dims.length; i++) if (s.get(i).asLong(-1) != dims[i]) return false;
        return true;
    }
}
