package dev.veil.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.http.BodyFields;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A validated {@code POST /v1/completions} body, in the field names of vLLM's OpenAI-compatible server: {@code prompt}
 * as a list of token ids or a list of such lists; {@code max_tokens}, {@code temperature}, {@code top_p},
 * {@code top_k}, {@code min_p}, {@code repetition_penalty}, {@code presence_penalty}, {@code frequency_penalty},
 * {@code seed}, {@code stop_token_ids}, {@code ignore_eos}, {@code stream}, {@code stream_options.include_usage},
 * {@code return_token_ids}. Fields this server cannot honour (text prompts, stop strings, logprobs, n &gt; 1) are
 * refused with 400 rather than silently ignored; unknown fields are ignored, as OpenAI-style servers do.
 *
 * @param seed null for a fresh random seed per sequence
 */
public record CompletionRequest(
        List<int[]> prompts,
        int maxTokens,
        double temperature,
        double topP,
        int topK,
        Long seed,
        Set<Integer> stopTokenIds,
        boolean ignoreEos,
        boolean stream,
        boolean includeUsage,
        boolean returnTokenIds,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty) {

    private static final BodyFields<ApiException> FIELDS = new BodyFields<>(ApiException::badRequest);

    /** vLLM's default for the completions API. */
    public static final int DEFAULT_MAX_TOKENS = 16;

    public CompletionRequest {
        prompts = List.copyOf(prompts);
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /**
     * Reads and checks {@code body} for a model of {@code vocabSize} ids and {@code contextLength} positions served
     * as {@code modelName}.
     */
    public static CompletionRequest parse(JsonNode body, String modelName, int vocabSize, int contextLength)
            throws ApiException {
        if (body == null || !body.isObject())
            throw ApiException.badRequest("the request body must be a JSON object", null);
        JsonNode model = body.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) throw ApiException.badRequest("model must be a string", "model");
            if (!model.asText().equals(modelName))
                throw new ApiException(
                        404, "NotFoundError", "The model `" + clip(model.asText()) + "` does not exist.", "model");
        }
        List<int[]> prompts = prompts(body.get("prompt"), vocabSize);
        boolean stream = FIELDS.bool(body, "stream", false);
        JsonNode options = body.get("stream_options");
        boolean includeUsage = false;
        if (options != null && !options.isNull()) {
            if (!stream)
                throw ApiException.badRequest("stream_options is only allowed with stream: true", "stream_options");
            if (!options.isObject())
                throw ApiException.badRequest("stream_options must be an object", "stream_options");
            includeUsage = FIELDS.bool(options, "include_usage", false);
        }
        int maxTokens = FIELDS.integer(body, "max_tokens", DEFAULT_MAX_TOKENS);
        if (maxTokens < 1)
            throw ApiException.badRequest("max_tokens must be at least 1, got " + maxTokens, "max_tokens");
        for (int[] p : prompts) {
            if ((long) p.length + maxTokens > contextLength)
                throw ApiException.badRequest(
                        "This model's maximum context length is " + contextLength + " tokens. However, you requested "
                                + ((long) p.length + maxTokens) + " tokens (" + p.length + " in the prompt, "
                                + maxTokens
                                + " in the completion). Please reduce the prompt or max_tokens.",
                        "max_tokens");
        }
        double temperature = FIELDS.number(body, "temperature", 1.0);
        if (!(temperature >= 0) || Double.isInfinite(temperature))
            throw ApiException.badRequest(
                    "temperature must be a finite number >= 0, got " + temperature, "temperature");
        double topP = FIELDS.number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) throw ApiException.badRequest("top_p must be in (0, 1], got " + topP, "top_p");
        int topK = FIELDS.integer(body, "top_k", 0);
        if (topK < -1)
            throw ApiException.badRequest("top_k must be -1 or 0 (off) or a positive count, got " + topK, "top_k");
        // vLLM's ranges and wording
        double minP = FIELDS.number(body, "min_p", 0);
        if (!(minP >= 0 && minP <= 1)) throw ApiException.badRequest("min_p must be in [0, 1], got " + minP, "min_p");
        double repetition = FIELDS.number(body, "repetition_penalty", 1);
        if (!(repetition > 0) || Double.isInfinite(repetition))
            throw ApiException.badRequest(
                    "repetition_penalty must be greater than zero, got " + repetition, "repetition_penalty");
        double presence = FIELDS.number(body, "presence_penalty", 0);
        if (!(presence >= -2 && presence <= 2))
            throw ApiException.badRequest("presence_penalty must be in [-2, 2], got " + presence, "presence_penalty");
        double frequency = FIELDS.number(body, "frequency_penalty", 0);
        if (!(frequency >= -2 && frequency <= 2))
            throw ApiException.badRequest(
                    "frequency_penalty must be in [-2, 2], got " + frequency, "frequency_penalty");
        Long seed = null;
        JsonNode s = body.get("seed");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong())
                throw ApiException.badRequest("seed must be an integer", "seed");
            seed = s.asLong();
        }
        Set<Integer> stopIds = new LinkedHashSet<>();
        JsonNode stops = body.get("stop_token_ids");
        if (stops != null && !stops.isNull()) {
            if (!stops.isArray())
                throw ApiException.badRequest("stop_token_ids must be a list of token ids", "stop_token_ids");
            for (JsonNode id : stops) stopIds.add(tokenId(id, vocabSize, "stop_token_ids"));
        }
        refuseUnsupported(body);
        return new CompletionRequest(
                prompts,
                maxTokens,
                temperature,
                topP,
                Math.max(topK, 0),
                seed,
                stopIds,
                FIELDS.bool(body, "ignore_eos", false),
                stream,
                includeUsage,
                FIELDS.bool(body, "return_token_ids", false),
                minP,
                repetition,
                presence,
                frequency);
    }

    /** Prompt tokens of all prompts. */
    public int promptTokens() {
        return prompts.stream().mapToInt(p -> p.length).sum();
    }

    private static List<int[]> prompts(JsonNode prompt, int vocabSize) throws ApiException {
        if (prompt == null || prompt.isNull())
            throw ApiException.badRequest("prompt is required: a list of token ids or a list of such lists", "prompt");
        if (prompt.isTextual()
                || prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isTextual())
            throw ApiException.badRequest(
                    "this server has no tokenizer: send prompt as token ids (a list of ints or a list of such lists)",
                    "prompt");
        if (!prompt.isArray() || prompt.isEmpty())
            throw ApiException.badRequest(
                    "prompt must be a non-empty list of token ids or a list of such lists", "prompt");
        List<int[]> out = new ArrayList<>();
        if (prompt.get(0).isArray()) {
            for (JsonNode p : prompt) {
                if (!p.isArray())
                    throw ApiException.badRequest("prompt mixes token ids and lists of token ids", "prompt");
                out.add(ids(p, vocabSize));
            }
        } else {
            out.add(ids(prompt, vocabSize));
        }
        return out;
    }

    private static int[] ids(JsonNode list, int vocabSize) throws ApiException {
        if (list.isEmpty()) throw ApiException.badRequest("a prompt must hold at least one token id", "prompt");
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = tokenId(list.get(i), vocabSize, "prompt");
        return ids;
    }

    private static int tokenId(JsonNode id, int vocabSize, String field) throws ApiException {
        if (!id.isIntegralNumber() || !id.canConvertToInt())
            throw ApiException.badRequest(field + " must hold integer token ids, found " + clip(id.toString()), field);
        int v = id.asInt();
        if (v < 0 || v >= vocabSize)
            throw ApiException.badRequest(
                    "token id " + v + " in " + field + " is outside the vocabulary [0, " + vocabSize + ")", field);
        return v;
    }

    /** Parameters with a meaning this server does not implement: refused unless absent or at their neutral value. */
    private static void refuseUnsupported(JsonNode body) throws ApiException {
        if (FIELDS.integer(body, "n", 1) != 1) throw ApiException.badRequest("only n = 1 is supported", "n");
        if (FIELDS.integer(body, "best_of", 1) != 1)
            throw ApiException.badRequest("only best_of = 1 is supported", "best_of");
        if (FIELDS.present(body, "logprobs")) throw ApiException.badRequest("logprobs are not supported", "logprobs");
        if (FIELDS.present(body, "prompt_logprobs"))
            throw ApiException.badRequest("prompt_logprobs are not supported", "prompt_logprobs");
        if (FIELDS.bool(body, "echo", false)) throw ApiException.badRequest("echo is not supported", "echo");
        if (FIELDS.bool(body, "use_beam_search", false))
            throw ApiException.badRequest("beam search is not supported", "use_beam_search");
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull() && !(stop.isArray() && stop.isEmpty()))
            throw ApiException.badRequest(
                    "stop strings need a tokenizer and this server has none: use stop_token_ids", "stop");
        if (FIELDS.integer(body, "min_tokens", 0) != 0)
            throw ApiException.badRequest("min_tokens is not supported", "min_tokens");
    }

    /** Echoes at most 40 characters of a client's value in an error message. */
    static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
