package dev.veil.tokenizer;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Pre-tokenizer regexes. Hugging Face writes them for Oniguruma and llama.cpp for its own splitter; the
 * constructs they use ({@code \p{L}}, {@code \p{N}}, {@code \s}, {@code (?i:...)}, {@code (?!\S)}, counted
 * repeats) mean the same in java.util.regex once {@code \s} and case folding are Unicode-aware, which
 * {@link Pattern#UNICODE_CHARACTER_CLASS} turns on. Java matches code points, not UTF-16 units, so emoji and
 * other supplementary characters behave as in the originals.
 */
final class SplitRegex {
    private SplitRegex() {}

    /** The GPT-2 pattern, also used by ByteLevel pre-tokenizers with use_regex. */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    // llama.cpp's versions (llama-vocab.cpp, llm_tokenizer_bpe): the contractions are spelled out instead of (?i:).
    static final String LLAMA3 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
                    + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
                    + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA_CPP_GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final List<String> LLAMA_CPP_DEFAULT =
            List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", LLAMA_CPP_GPT2, "\\p{N}+", "[0-9][0-9][0-9]");

    /** @throws IllegalArgumentException when java.util.regex cannot compile the pattern */
    static Pattern compile(String regex) {
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("pre-tokenizer regex does not compile in Java: " + e.getMessage(), e);
        }
    }

    /** llama.cpp splits with each regex in turn, keeping matches and the gaps between them. */
    static PreTokenizer isolatingAll(List<String> regexes) {
        return PreTokenizer.sequence(
                regexes.stream().map(r -> PreTokenizer.regex(compile(r), true)).toList());
    }
}
