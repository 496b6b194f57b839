package dev.veil.cli;

import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --prompt}, {@code --chat}, {@code --max-tokens}, {@code --temperature} and {@code --seed} of the commands that
 * generate from one prompt ({@code generate}, {@code talaria run}); {@link #ids} is how every command turns a prompt
 * into ids ({@code demo} too).
 */
final class PromptOptions {

    @Option(names = "--prompt", required = true, description = "the prompt text")
    String prompt;

    @Option(names = "--chat", description = "wrap the prompt as a user message in the tokenizer's chat template")
    boolean chat;

    @Option(
            names = "--max-tokens",
            defaultValue = "128",
            description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    int[] ids(Tokenizer tok, String system, boolean parseSpecial) {
        return ids(tok, prompt, system, chat, parseSpecial);
    }

    /**
     * The ids of {@code prompt}: after the tokenizer's prefix (text that spells a special token becomes that token only
     * with {@code parseSpecial}), or with {@code chat} as a user message (after {@code system}'s, when not null)
     * rendered by the tokenizer's chat template.
     */
    static int[] ids(Tokenizer tok, String prompt, String system, boolean chat, boolean parseSpecial) {
        if (!chat) return tok.encode(prompt, true, parseSpecial);
        ChatTemplate template = tok.chatTemplate()
                .orElseThrow(() -> new IllegalArgumentException("the tokenizer has no chat template (drop --chat)"));
        var messages = system == null
                ? List.of(new ChatTemplate.Message("user", prompt))
                : List.of(new ChatTemplate.Message("system", system), new ChatTemplate.Message("user", prompt));
        return tok.encode(template.render(messages, true), false, true);
    }
}
