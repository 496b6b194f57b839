package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * How one kind of untrusted server spells a streamed token-id completion: the request body, where it goes, and what
 * one server-sent event carries. {@link VllmClient} does the rest (HTTP, SSE framing, timeouts, limits, cancellation)
 * the same way for every kind. Both dialects send only ids and sampling settings.
 */
public interface UpstreamDialect {

    /** The gateway's name for it ({@code --upstream-kind}). */
    String name();

    /** The completion endpoint, e.g. {@code /v1/completions}. */
    String path();

    /** The body for {@code prompt}: exactly what the untrusted side receives. */
    ObjectNode requestBody(String model, int contextLength, int[] prompt, VllmClient.Params p);

    /**
     * One event's ids (in order) and its finish reason ({@code stop} or {@code length}; null while generating).
     * {@code receivedSoFar} is how many ids earlier events carried, for dialects that can check for gaps.
     */
    Event read(JsonNode event, int receivedSoFar) throws UpstreamException;

    /** Whether the stream ends with {@code data: [DONE]} (vLLM) rather than after the finishing event (llama-server). */
    boolean sendsDone();

    /**
     * Whether the server honours arbitrary stop ids; when not, the client ends the stream at the first one it
     * receives (and closes it, which cancels the generation upstream).
     */
    boolean honoursStopIds();

    /** One event: the ids it carries, and the finish reason when it is the last. */
    record Event(List<Integer> ids, String finishReason) {
        static final Event NOTHING = new Event(List.of(), null);
    }

    /** vLLM's OpenAI-compatible {@code /v1/completions} with {@code return_token_ids} (and Veil's own server). */
    UpstreamDialect VLLM = new VllmDialect();

    /** llama.cpp's {@code llama-server}, native {@code /completion} with {@code return_tokens}. */
    UpstreamDialect LLAMA_SERVER = new LlamaServerDialect();
}
