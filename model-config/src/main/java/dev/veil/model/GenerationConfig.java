package dev.veil.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Generation defaults of a model ({@code generation_config.json}, else what config.json or the GGUF says).
 * Absent sampling fields are null, so a caller's own defaults apply.
 *
 * @param bosTokenId  -1 when unknown
 * @param eosTokenIds every id that ends generation (Llama 3 instruct lists several)
 * @param frequencyPenalty OpenAI's frequency penalty, a Veil extension of the file (Hugging Face has no such field and
 *                         ignores it; vLLM reads only its own fields from the file): the bundled model's demo setting
 */
public record GenerationConfig(
        int bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId,
        Boolean doSample,
        Double temperature,
        Double topP,
        Integer topK,
        Double repetitionPenalty,
        Double frequencyPenalty,
        Integer maxNewTokens) {
    public static final String FILE = "generation_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Only the special ids, no sampling defaults. */
    public static GenerationConfig of(int bosTokenId, List<Integer> eosTokenIds) {
        return new GenerationConfig(bosTokenId, eosTokenIds, null, null, null, null, null, null, null, null);
    }

    /** {@code dir/generation_config.json} over the ids of {@code config}; the config alone when the file is absent. */
    public static GenerationConfig read(Path dir, ModelConfig config) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) return of(config.bosTokenId(), config.eosTokenIds());
        JsonNode n = JsonFiles.read(file, null);
        if (n == null || !n.isObject()) throw new IOException(file + ": not a JSON object");
        try {
            return fromJson(n, config);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    static GenerationConfig fromJson(JsonNode n, ModelConfig config) {
        List<Integer> eos = ids(n.get("eos_token_id"), "eos_token_id");
        if (eos == null) eos = config.eosTokenIds();
        int bos = n.hasNonNull("bos_token_id") ? integer(n, "bos_token_id") : config.bosTokenId();
        return new GenerationConfig(
                bos,
                eos,
                n.hasNonNull("pad_token_id") ? integer(n, "pad_token_id") : null,
                n.hasNonNull("do_sample") ? n.get("do_sample").asBoolean() : null,
                number(n, "temperature"),
                number(n, "top_p"),
                n.hasNonNull("top_k") ? integer(n, "top_k") : null,
                number(n, "repetition_penalty"),
                number(n, "frequency_penalty"),
                n.hasNonNull("max_new_tokens") ? integer(n, "max_new_tokens") : null);
    }

    private static List<Integer> ids(JsonNode v, String field) {
        if (v == null || v.isNull()) return null;
        List<Integer> out = new ArrayList<>();
        if (v.isArray()) {
            for (JsonNode x : v) {
                if (!x.canConvertToInt()) throw new IllegalArgumentException("invalid '" + field + "' " + v);
                out.add(x.asInt());
            }
        } else if (v.canConvertToInt()) {
            out.add(v.asInt());
        } else {
            throw new IllegalArgumentException("invalid '" + field + "' " + v);
        }
        return out;
    }

    private static int integer(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (!v.canConvertToInt()) throw new IllegalArgumentException("invalid '" + field + "' " + v);
        return v.asInt();
    }

    private static Double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw new IllegalArgumentException("invalid '" + field + "' " + v + " (expected a number)");
        return v.asDouble();
    }

    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        if (bosTokenId >= 0) n.put("bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) n.put("eos_token_id", eosTokenIds.getFirst());
        else if (!eosTokenIds.isEmpty()) eosTokenIds.forEach(n.putArray("eos_token_id")::add);
        if (padTokenId != null) n.put("pad_token_id", padTokenId);
        if (doSample != null) n.put("do_sample", doSample);
        if (temperature != null) n.put("temperature", temperature);
        if (topP != null) n.put("top_p", topP);
        if (topK != null) n.put("top_k", topK);
        if (repetitionPenalty != null) n.put("repetition_penalty", repetitionPenalty);
        if (frequencyPenalty != null) n.put("frequency_penalty", frequencyPenalty);
        if (maxNewTokens != null) n.put("max_new_tokens", maxNewTokens);
        return n;
    }

    public void write(Path dir) throws IOException {
        Files.writeString(
                dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }
}
