package dev.veil.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI's response and chunk shapes for the two endpoints, plus Veil's {@code veil_untrusted} extension. */
enum ResponseShapes {
    CHAT("chatcmpl-", "chat.completion", "chat.completion.chunk"),
    TEXT("cmpl-", "text_completion", "text_completion");

    final String idPrefix;
    final String object;
    final String chunkObject;

    ResponseShapes(String idPrefix, String object, String chunkObject) {
        this.idPrefix = idPrefix;
        this.object = object;
        this.chunkObject = chunkObject;
    }

    ObjectNode header(String id, long created, String model, boolean chunk) {
        ObjectNode n = VllmClient.JSON.createObjectNode();
        n.put("id", id);
        n.put("object", chunk ? chunkObject : object);
        n.put("created", created);
        n.put("model", model);
        n.putNull("system_fingerprint");
        return n;
    }

    /**
     * The one choice (index 0) of a response or chunk (Veil answers with n = 1), carrying {@code text}: for chat in the
     * {@code message} of a whole answer or the {@code delta} of a chunk, with the assistant's role when {@code role}.
     */
    private void onlyChoice(ObjectNode response, boolean whole, boolean role, String text, String finish) {
        ObjectNode choice = response.putArray("choices").addObject();
        choice.put("index", 0);
        if (this == CHAT) {
            ObjectNode message = choice.putObject(whole ? "message" : "delta");
            if (role) message.put("role", "assistant");
            if (text != null) message.put("content", text);
            if (whole) message.putNull("refusal");
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finish); // JSON null while a stream goes on
    }

    /** The whole answer of a non-streamed request. */
    ObjectNode complete(String id, long created, String model, String text, String finish, ObjectNode usage) {
        ObjectNode n = header(id, created, model, false);
        onlyChoice(n, true, true, text, finish);
        n.set("usage", usage);
        return n;
    }

    /** A streamed piece of text; {@code first} adds the assistant role (chat), {@code finish} ends the choice. */
    ObjectNode delta(String id, long created, String model, String text, boolean first, String finish) {
        ObjectNode n = header(id, created, model, true);
        onlyChoice(n, false, first, text, finish);
        return n;
    }

    /** The chunk after the last choice chunk: no choices, the usage and/or what the untrusted side saw. */
    ObjectNode trailer(String id, long created, String model, ObjectNode usage, ObjectNode untrusted) {
        ObjectNode n = header(id, created, model, true);
        n.putArray("choices");
        if (usage != null) n.set("usage", usage);
        if (untrusted != null) n.set("veil_untrusted", untrusted);
        return n;
    }

    static ObjectNode usage(int prompt, int completion) {
        ObjectNode u = VllmClient.JSON.createObjectNode();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    static ObjectNode untrusted(UntrustedView v) {
        ObjectNode n = VllmClient.JSON.createObjectNode();
        n.put("mode", v.mode());
        ArrayNode prompt = n.putArray("prompt_token_ids");
        for (int id : v.promptIds()) prompt.add(id);
        ArrayNode generated = n.putArray("token_ids");
        for (int id : v.generatedIds()) generated.add(id);
        ArrayNode tensors = n.putArray("tensors");
        for (UntrustedView.Tensors t : v.tensors()) {
            ObjectNode o = tensors.addObject();
            o.put("product", t.product());
            o.put("rows", t.rows());
            o.put("cols", t.cols());
            o.put("count", t.count());
        }
        return n;
    }
}
