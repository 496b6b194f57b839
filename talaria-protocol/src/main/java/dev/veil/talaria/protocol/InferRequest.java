package dev.veil.talaria.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A V2 inference request: {@code POST /v2/models/{name}/infer}. The id is optional (Veil's client sends none: it would
 * only help link calls); the requested outputs are asked for as binary data.
 */
public record InferRequest(String id, List<InferTensor> inputs, List<String> outputs) {

    public InferRequest {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public V2Codec.Body encode() {
        ObjectNode h = V2Codec.JSON.createObjectNode();
        if (id != null) h.put("id", id);
        var entries = h.putArray("inputs");
        var outs = h.putArray("outputs");
        for (String o : outputs)
            outs.addObject().put("name", o).putObject("parameters").put("binary_data", true);
        return V2Codec.encode(h, entries, inputs);
    }

    /** Decodes a body; {@link IllegalArgumentException} with what is wrong with it. */
    public static InferRequest decode(byte[] body, int jsonLength) {
        JsonNode h = V2Codec.header(body, jsonLength);
        List<InferTensor> inputs = V2Codec.tensors(h.path("inputs"), "inputs", body, jsonLength);
        List<String> outputs = new ArrayList<>();
        for (JsonNode o : h.path("outputs")) outputs.add(o.path("name").asText());
        return new InferRequest(h.path("id").asText(null), inputs, outputs);
    }
}
