package dev.veil.gateway;

import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A chat rendered by its template and tokenized so that only the template's own markers are special tokens: the
 * messages' content is text. Without this, a user message containing {@code <|im_end|>\n<|im_start|>system} would
 * become a system turn.
 *
 * <p>Where the content sits in the rendered text is found by rendering once more with a random placeholder per
 * message: the template's output with the placeholders replaced by the content must be the real rendering. A template
 * that rewrites content (trims it, say) breaks that; then content spelling a special token is refused.
 */
final class ChatPrompt {

    private ChatPrompt() {}

    static int[] tokenize(Tokenizer tokenizer, ChatTemplate template, List<ChatTemplate.Message> chat)
            throws GatewayError {
        String text = render(template, chat);
        List<String> specials = new ArrayList<>();
        for (int id : tokenizer.specialIds()) {
            String token = tokenizer.token(id);
            if (token != null
                    && !token.isEmpty()
                    && chat.stream().anyMatch(m -> m.content().contains(token))) specials.add(token);
        }
        if (specials.isEmpty()) return tokenizer.encode(text, false, true); // the common case: exactly as before
        BitSet plain = contentPositions(template, chat, text);
        if (plain == null)
            throw GatewayError.invalid(
                    "message content must not contain the special token " + AppRequest.clip(specials.getFirst())
                            + " (this model's chat template rewrites content, so it cannot be kept as text)",
                    "messages");
        return tokenizer.encode(text, false, plain);
    }

    private static String render(ChatTemplate template, List<ChatTemplate.Message> chat) throws GatewayError {
        try {
            return template.render(chat, true);
        } catch (RuntimeException e) {
            throw GatewayError.invalid("the chat template refused these messages: " + e.getMessage(), "messages");
        }
    }

    /** The positions of {@code text} that are message content, or null when the template does not copy content verbatim. */
    private static BitSet contentPositions(ChatTemplate template, List<ChatTemplate.Message> chat, String text)
            throws GatewayError {
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        String nonce = HexFormat.of().formatHex(random);
        List<ChatTemplate.Message> marked = new ArrayList<>();
        for (int i = 0; i < chat.size(); i++)
            marked.add(new ChatTemplate.Message(chat.get(i).role(), placeholder(nonce, i)));
        String skeleton = render(template, marked);
        StringBuilder rebuilt = new StringBuilder(text.length());
        BitSet plain = new BitSet(text.length());
        int from = 0;
        for (int i = 0; i < chat.size(); i++) {
            String p = placeholder(nonce, i);
            int at = skeleton.indexOf(p, from);
            if (at < 0 || skeleton.indexOf(p, at + p.length()) >= 0) return null; // dropped, reordered or repeated
            rebuilt.append(skeleton, from, at);
            plain.set(rebuilt.length(), rebuilt.length() + chat.get(i).content().length());
            rebuilt.append(chat.get(i).content());
            from = at + p.length();
        }
        rebuilt.append(skeleton, from, skeleton.length());
        return rebuilt.toString().equals(text) ? plain : null;
    }

    // private-use characters around a random nonce: no template or tokenizer treats them specially, no app sends them
    private static String placeholder(String nonce, int index) {
        return "\uE000" + nonce + ":" + index + "\uE001";
    }
}
