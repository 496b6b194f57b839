package dev.veil.tokenizer;

import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tokenizer.json "pre_tokenizer": cuts a normalized segment into the pieces ("words") that BPE merges within.
 * Each step receives every piece of the step before (Hugging Face's Sequence semantics).
 */
@FunctionalInterface
interface PreTokenizer {
    void split(String piece, Consumer<String> out);

    PreTokenizer NONE = (piece, out) -> out.accept(piece);

    /**
     * Split with a regex. {@code isolated}: every match and every gap between matches becomes a piece
     * (Hugging Face behavior "Isolated"); otherwise the matches are dropped and the gaps kept ("Removed").
     */
    static PreTokenizer regex(Pattern pattern, boolean isolated) {
        return (piece, out) -> {
            Matcher m = pattern.matcher(piece);
            int last = 0;
            while (m.find()) {
                if (m.end() == m.start()) continue; // empty matches cut nothing
                if (m.start() > last) out.accept(piece.substring(last, m.start()));
                if (isolated) out.accept(piece.substring(m.start(), m.end()));
                last = m.end();
            }
            if (last < piece.length()) out.accept(piece.substring(last));
        };
    }

    /**
     * The byte-level step: optionally prefix a space, optionally split with GPT-2's regex, then spell each
     * piece's UTF-8 bytes as byte-level characters.
     *
     * @param gpt2Regex the pattern to split with, or null (use_regex false)
     */
    static PreTokenizer byteLevel(boolean addPrefixSpace, Pattern gpt2Regex) {
        PreTokenizer split = gpt2Regex == null ? NONE : regex(gpt2Regex, true);
        return (piece, out) -> split.split(
                addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece, p -> out.accept(ByteLevel.encode(p)));
    }

    static PreTokenizer sequence(List<PreTokenizer> steps) {
        PreTokenizer result = NONE;
        for (PreTokenizer step : steps) {
            PreTokenizer before = result;
            result = (piece, out) -> before.split(piece, p -> step.split(p, out));
        }
        return result;
    }
}
