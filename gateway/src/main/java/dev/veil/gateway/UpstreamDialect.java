package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * How one kind of untrusted server spells a streamed token-id completion: the request body, where it goes, and what
 * one server-sent event carries. {@link VllmClient} does the rest (HTTP, SSE framing, timeouts, limits, cancellation)
 * the same way for every kind. Both dialects send only ids and sampling settings.
 */
public abstract sealed class UpstreamDialect permits VllmDialect, LlamaServerDialect {

    /** vLLM's OpenAI-compatible {@code /v1/completions} with {@code return_token_ids} (and Veil's own server). */
    public static final UpstreamDialect VLLM = new VllmDialect();

    /** llama.cpp's {@code llama-server}, native {@code /completion} with {@code return_tokens}. */
    public static final UpstreamDialect LLAMA_SERVER = new LlamaServerDialect();

    private final String name;
    private final String path;
    private final boolean sendsDone;
    private final boolean honoursStopIds;

    UpstreamDialect(String name, String path, boolean sendsDone, boolean honoursStopIds) {
        this.name = name;
        this.path = path;
        this.sendsDone = sendsDone;
        this.honoursStopIds = honoursStopIds;
    }

    /** The gateway's name for it ({@code --upstream-kind}). */
    public final String name() {
        return name;
    }

    /** The completion endpoint, e.g. {@code /v1/completions}. */
    public final String path() {
        return path;
    }

    /** Whether the stream ends with {@code data: [DONE]} (vLLM) rather than after the finishing event (llama-server). */
    public final boolean sendsDone() {
        return sendsDone;
    }

    /**
     * Whether the server honours arbitrary stop ids; when not, the client ends the stream at the first one it
     * receives (and closes it, which cancels the generation upstream).
     */
    public final boolean honoursStopIds() {
        return honoursStopIds;
    }

    /** The body for {@code prompt}: exactly what the untrusted side receives. */
    public abstract ObjectNode requestBody(String model, int contextLength, int[] prompt, VllmClient.Params p);

    /**
     * One event's ids (in order) and its finish reason ({@code stop} or {@code length}; null while generating).
     * {@code receivedSoFar} is how many ids earlier events carried, for dialects that can check for gaps.
     */
    public abstract Event read(JsonNode event, int receivedSoFar) throws UpstreamException;

    /** Adds {@code ids} to {@code body} as the array {@code field}. */
    static void putIds(ObjectNode body, String field, int[] ids) {
        ArrayNode array = body.putArray(field);
        for (int id : ids) array.add(id);
    }

    /** One event: the ids it carries, and the finish reason when it is the last. */
    public record Event(List<Integer> ids, String finishReason) {
        static final Event NOTHING = new Event(List.of(), null);
    }
}
