package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.SamplingParams;
import java.util.List;

/**
 * vLLM ({@code vllm serve --skip-tokenizer-init}) and Veil's {@code veil serve}: {@code prompt} as a list of ids with
 * {@code return_token_ids: true}; each chunk's {@code choices[0].token_ids} and {@code finish_reason}. The penalties and
 * min-p travel in vLLM's names and only when they are on, so a request without them looks as it always did.
 */
final class VllmDialect extends UpstreamDialect {

    VllmDialect() {
        super("vllm", "/v1/completions", true, true);
    }

    @Override
    public ObjectNode requestBody(String model, int contextLength, int[] prompt, VllmClient.Params p) {
        ObjectNode body = VllmClient.JSON.createObjectNode();
        body.put("model", model);
        putIds(body, "prompt", prompt);
        body.put("max_tokens", p.maxTokens());
        SamplingParams s = p.sampling();
        body.put("temperature", s.temperature());
        body.put("top_p", s.topP());
        if (s.topK() > 0) body.put("top_k", s.topK());
        if (s.minP() != 0) body.put("min_p", s.minP());
        if (s.repetitionPenalty() != 1) body.put("repetition_penalty", s.repetitionPenalty());
        if (s.presencePenalty() != 0) body.put("presence_penalty", s.presencePenalty());
        if (s.frequencyPenalty() != 0) body.put("frequency_penalty", s.frequencyPenalty());
        if (p.seed() != null) body.put("seed", p.seed());
        ArrayNode stops = body.putArray("stop_token_ids");
        p.stopTokenIds().stream().sorted().forEach(stops::add);
        body.put("stream", true);
        body.put("return_token_ids", true);
        return body;
    }

    @Override
    public Event read(JsonNode chunk, int receivedSoFar) throws UpstreamException {
        JsonNode choice = chunk.path("choices").path(0);
        if (choice.isMissingNode()) return Event.NOTHING; // the usage chunk
        List<Integer> out = VllmClient.ids(
                choice.get("token_ids"),
                choice.path("text").asText(""),
                "the upstream sent text without token_ids: it must run without a tokenizer "
                        + "(vllm serve --skip-tokenizer-init) and support return_token_ids");
        JsonNode finish = choice.get("finish_reason");
        return new Event(out, finish != null && !finish.isNull() ? finish.asText() : null);
    }
}
