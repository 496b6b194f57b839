package dev.veil.talaria.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** A V2 inference response: the model's name, the request's id, the outputs as binary tensors. */
public record InferResponse(String modelName, String id, List<InferTensor> outputs) {

    public InferResponse {
        outputs = List.copyOf(outputs);
    }

    public V2Codec.Body encode() {
        ObjectNode h = V2Codec.JSON.createObjectNode();
        h.put("model_name", modelName);
        if (id != null) h.put("id", id);
        return V2Codec.encode(h, h.putArray("outputs"), outputs);
    }

    public static InferResponse decode(byte[] body, int jsonLength) {
        JsonNode h = V2Codec.header(body, jsonLength);
        if (h.has("error"))
            throw new IllegalArgumentException("server error: " + h.get("error").asText());
        return new InferResponse(
                h.path("model_name").asText(null),
                h.path("id").asText(null),
                V2Codec.tensors(h.path("outputs"), "outputs", body, jsonLength));
    }

    /** The output called {@code name}; error when the server did not send it. */
    public InferTensor output(String name) {
        for (InferTensor t : outputs) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException("response of model '" + modelName + "' has no output '" + name + "'");
    }
}
