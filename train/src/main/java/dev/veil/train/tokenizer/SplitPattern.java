package dev.veil.train.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces BPE merges never cross: Llama 3's pattern (contractions, letters with one leading
 * non-letter, numbers of up to three digits, punctuation runs, newlines, other whitespace).
 */
public final class SplitPattern {
    /** Written verbatim into tokenizer.json's Split pre-tokenizer. */
    public static final String PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // Hugging Face's regex engines treat \s as Unicode whitespace; so must Java's.
    private static final Pattern REGEX = Pattern.compile(PATTERN, Pattern.UNICODE_CHARACTER_CLASS);

    private SplitPattern() {}

    public static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = REGEX.matcher(text);
        while (m.find()) pieces.add(m.group());
        return pieces;
    }
}
