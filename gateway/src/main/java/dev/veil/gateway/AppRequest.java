package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.engine.SamplingParams;
import dev.veil.http.BodyFields;
import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An app's {@code /v1/chat/completions} or {@code /v1/completions} request, validated and tokenized: the chat
 * template is applied here, on the trusted side. Sampling follows OpenAI's defaults and ranges (temperature 1, top_p
 * 1, presence_penalty and frequency_penalty 0 in [-2, 2]) plus vLLM's {@code top_k}, {@code min_p} and
 * {@code repetition_penalty}; {@code stop} holds up to four strings, matched on the decoded text. {@code veil_untrusted: true}
 * (the chat page) adds what the untrusted side saw to the response.
 *
 * @param maxTokens null when the app left it to the context length
 */
public record AppRequest(
        int[] promptIds,
        Integer maxTokens,
        SamplingParams sampling,
        boolean seeded,
        List<String> stop,
        boolean stream,
        boolean includeUsage,
        boolean showUntrusted) {

    private static final BodyFields<GatewayError> FIELDS = new BodyFields<>(GatewayError::invalid);

    /** A chat request: {@code messages} rendered by the model's chat template, then tokenized. */
    public static AppRequest chat(JsonNode body, String modelName, Tokenizer tokenizer, ChatTemplate template)
            throws GatewayError {
        object(body, modelName);
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty())
            throw GatewayError.invalid("messages must be a non-empty list of {role, content} objects", "messages");
        if (template == null)
            throw GatewayError.invalid("this model has no chat template; use /v1/completions", "messages");
        List<ChatTemplate.Message> chat = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) chat.add(message(messages.get(i), i));
        if (FIELDS.present(body, "tools") || FIELDS.present(body, "functions"))
            throw GatewayError.invalid("tools are not supported", "tools");
        return common(body, ChatPrompt.tokenize(tokenizer, template, chat), "max_completion_tokens");
    }

    /** A text completion: {@code prompt} tokenized with the tokenizer's special tokens (BOS), as Hugging Face does. */
    public static AppRequest completion(JsonNode body, String modelName, Tokenizer tokenizer) throws GatewayError {
        object(body, modelName);
        JsonNode prompt = body.get("prompt");
        if (prompt != null
                && prompt.isArray()
                && prompt.size() == 1
                && prompt.get(0).isTextual()) prompt = prompt.get(0);
        if (prompt == null || !prompt.isTextual())
            throw GatewayError.invalid("prompt must be a string (one prompt per request)", "prompt");
        if (FIELDS.integer(body, "n", 1) != 1) throw GatewayError.invalid("only n = 1 is supported", "n");
        if (FIELDS.bool(body, "echo", false)) throw GatewayError.invalid("echo is not supported", "echo");
        if (FIELDS.present(body, "suffix")) throw GatewayError.invalid("suffix is not supported", "suffix");
        return common(body, tokenizer.encode(prompt.asText(), true, true), null);
    }

    private static void object(JsonNode body, String modelName) throws GatewayError {
        if (body == null || !body.isObject())
            throw GatewayError.invalid("the request body must be a JSON object", null);
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual()) throw GatewayError.invalid("model is required: a string", "model");
        if (!model.asText().equals(modelName))
            throw new GatewayError(
                    404,
                    "invalid_request_error",
                    "The model `" + clip(model.asText()) + "` does not exist. This gateway serves `" + modelName + "`.",
                    "model",
                    "model_not_found");
    }

    private static ChatTemplate.Message message(JsonNode m, int index) throws GatewayError {
        String where = "messages[" + index + "]";
        if (!m.isObject()) throw GatewayError.invalid(where + " must be an object", "messages");
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) throw GatewayError.invalid(where + ".role must be a string", "messages");
        String r = switch (role.asText()) {
            case "system", "user", "assistant" -> role.asText();
            case "developer" -> "system"; // OpenAI's newer name for system instructions; templates know "system"
            default ->
                throw GatewayError.invalid(
                        where + ".role must be system, developer, user or assistant, got " + clip(role.asText()),
                        "messages");
        };
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) return new ChatTemplate.Message(r, "");
        if (content.isTextual()) return new ChatTemplate.Message(r, content.asText());
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!part.isObject()
                        || !"text".equals(part.path("type").asText())
                        || !part.path("text").isTextual())
                    throw GatewayError.invalid(
                            where + ".content parts must be {\"type\": \"text\", \"text\": ...}", "messages");
                text.append(part.get("text").asText());
            }
            return new ChatTemplate.Message(r, text.toString());
        }
        throw GatewayError.invalid(where + ".content must be a string or a list of text parts", "messages");
    }

    private static AppRequest common(JsonNode body, int[] prompt, String maxAlias) throws GatewayError {
        if (prompt.length == 0) throw GatewayError.invalid("the prompt is empty", "prompt");
        Integer maxTokens = null;
        for (String field : maxAlias == null ? List.of("max_tokens") : List.of("max_tokens", maxAlias)) {
            JsonNode n = body.get(field);
            if (n == null || n.isNull()) continue;
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1)
                throw GatewayError.invalid(field + " must be a positive integer", field);
            maxTokens = n.asInt();
        }
        double temperature = FIELDS.number(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2))
            throw GatewayError.invalid("temperature must be between 0 and 2", "temperature");
        double topP = FIELDS.number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) throw GatewayError.invalid("top_p must be in (0, 1]", "top_p");
        int topK = FIELDS.integer(body, "top_k", 0);
        if (topK < -1) throw GatewayError.invalid("top_k must be -1 or 0 (off) or positive", "top_k");
        JsonNode seedNode = body.get("seed");
        boolean seeded = seedNode != null && !seedNode.isNull();
        if (seeded && (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()))
            throw GatewayError.invalid("seed must be an integer", "seed");
        long seed = seeded ? seedNode.asLong() : ThreadLocalRandom.current().nextLong();
        if (FIELDS.integer(body, "n", 1) != 1) throw GatewayError.invalid("only n = 1 is supported", "n");
        double minP = FIELDS.number(body, "min_p", 0);
        if (!(minP >= 0 && minP <= 1)) throw GatewayError.invalid("min_p must be in [0, 1]", "min_p");
        double repetition = FIELDS.number(body, "repetition_penalty", 1);
        if (!(repetition > 0) || Double.isInfinite(repetition))
            throw GatewayError.invalid("repetition_penalty must be greater than 0", "repetition_penalty");
        double presence = FIELDS.number(body, "presence_penalty", 0);
        if (!(presence >= -2 && presence <= 2))
            throw GatewayError.invalid("presence_penalty must be between -2 and 2", "presence_penalty");
        double frequency = FIELDS.number(body, "frequency_penalty", 0);
        if (!(frequency >= -2 && frequency <= 2))
            throw GatewayError.invalid("frequency_penalty must be between -2 and 2", "frequency_penalty");
        if (FIELDS.present(body, "logprobs")) throw GatewayError.invalid("logprobs are not supported", "logprobs");
        if (FIELDS.present(body, "logit_bias") && !body.get("logit_bias").isEmpty())
            throw GatewayError.invalid("logit_bias is not supported", "logit_bias");
        List<String> stop = new ArrayList<>();
        JsonNode s = body.get("stop");
        if (s != null && !s.isNull()) {
            if (s.isTextual()) stop.add(s.asText());
            else if (s.isArray() && s.size() <= 4)
                for (JsonNode x : s) {
                    if (!x.isTextual() || x.asText().isEmpty())
                        throw GatewayError.invalid("stop must hold non-empty strings", "stop");
                    stop.add(x.asText());
                }
            else throw GatewayError.invalid("stop must be a string or a list of up to 4 strings", "stop");
            if (stop.contains("")) throw GatewayError.invalid("stop strings must not be empty", "stop");
        }
        boolean stream = FIELDS.bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) throw GatewayError.invalid("stream_options must be an object", "stream_options");
            includeUsage = FIELDS.bool(options, "include_usage", false);
        }
        var sampling =
                new SamplingParams(temperature, Math.max(0, topK), topP, seed, minP, repetition, presence, frequency);
        return new AppRequest(
                prompt,
                maxTokens,
                sampling,
                seeded,
                List.copyOf(stop),
                stream,
                includeUsage,
                FIELDS.bool(body, "veil_untrusted", false));
    }

    static String clip(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "…";
    }
}
