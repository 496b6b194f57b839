package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.SamplingParams;
import java.util.List;

/**
 * llama.cpp's stock {@code llama-server}: its native {@code POST /completion} with the prompt as a list of ids,
 * {@code return_tokens: true} and {@code stream: true}; each event carries {@code tokens} (one id) and {@code stop},
 * the last one {@code stop_type} ({@code eos}/{@code word} → stop, {@code limit} → length). There is no {@code [DONE]}.
 *
 * <p>Sampling is sent in full, not left to the server's defaults (top-k 40, top-p 0.95, min-p 0.05 and whatever
 * its command line set): the sampler chain is named explicitly, in vLLM's (and Veil's) order — penalties, then
 * temperature, min-p, top-k, top-p — where llama.cpp's default applies the temperature last. What does not map
 * exactly: llama.cpp counts the prompt's ids in the presence and frequency penalties as well as the output's (vLLM
 * and OpenAI count the output only; the repetition penalty counts both in either, over the whole context here), and
 * its random draws differ from vLLM's for the same seed (a seed still makes a stream reproducible). The seed is a
 * 32-bit number there (taken mod 2³² − 1; 2³² − 1 itself means "random").
 *
 * <p>Stop ids: the server ends at its own end-of-generation ids (the GGUF's EOS); it has no field for others, so the
 * client ends the stream at the first requested stop id it receives ({@link #honoursStopIds()} false).
 *
 * <p>A gap check: each event says how many ids the server has generated ({@code tokens_predicted}); llama-server
 * holds back a token whose text ends in an incomplete UTF-8 sequence and then streams only the next id, so a count
 * ahead of the ids received is a lost id and a 502, never a silently wrong answer. Veil's obfuscated GGUFs name every
 * id so that its text is whole characters (GgufVocab.synthetic), so this does not happen with them.
 */
final class LlamaServerDialect extends UpstreamDialect {

    /** vLLM's sampler order in llama.cpp's sampler names. */
    static final List<String> SAMPLERS = List.of("penalties", "temperature", "min_p", "top_k", "top_p");

    LlamaServerDialect() {
        super("llama-server", "/completion", false, false);
    }

    @Override
    public ObjectNode requestBody(String model, int contextLength, int[] prompt, VllmClient.Params p) {
        ObjectNode body = VllmClient.JSON.createObjectNode();
        putIds(body, "prompt", prompt);
        body.put("n_predict", p.maxTokens());
        SamplingParams s = p.sampling();
        body.put("temperature", s.temperature());
        body.put("top_k", s.topK());
        body.put("top_p", s.topP());
        body.put("min_p", s.minP());
        body.put("repeat_penalty", s.repetitionPenalty());
        body.put("presence_penalty", s.presencePenalty());
        body.put("frequency_penalty", s.frequencyPenalty());
        // the whole context, as vLLM: llama.cpp's default window is the last 64 ids
        body.put("repeat_last_n", s.penalized() ? Math.max(contextLength, prompt.length + p.maxTokens()) : 0);
        body.put("mirostat", 0);
        body.put("ignore_eos", false);
        SAMPLERS.forEach(body.putArray("samplers")::add);
        if (p.seed() != null) body.put("seed", Math.floorMod(p.seed(), 0xFFFF_FFFFL));
        body.put("stream", true);
        body.put("return_tokens", true);
        return body;
    }

    @Override
    public Event read(JsonNode event, int receivedSoFar) throws UpstreamException {
        List<Integer> out = VllmClient.ids(
                event.get("tokens"),
                event.path("content").asText(""),
                "llama-server sent text without tokens: it must support return_tokens (llama.cpp b4000 or later)");
        JsonNode predicted = event.get("tokens_predicted");
        if (predicted != null && predicted.canConvertToInt() && predicted.asInt() > receivedSoFar + out.size())
            throw new UpstreamException(
                    502,
                    "llama-server generated " + predicted.asInt() + " ids but streamed " + (receivedSoFar + out.size())
                            + ": it held back an id whose text is not whole UTF-8 characters. Export the GGUF with this Veil (veil obfuscate --gguf), "
                            + "whose vocabulary names every id in whole characters");
        if (!event.path("stop").asBoolean(false)) return new Event(out, null);
        String type = event.path("stop_type").asText("");
        String finish = type.equals("limit") || event.path("truncated").asBoolean(false) ? "length" : "stop";
        return new Event(out, finish);
    }
}
