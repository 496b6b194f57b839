package dev.veil.tokenizer;

/**
 * A token matched in the raw text before any other step (tokenizer.json "added_tokens", GGUF control and
 * user-defined tokens).
 *
 * @param special    a control token: matched only when the caller parses special tokens
 * @param lstrip     the match swallows whitespace on its left
 * @param rstrip     the match swallows whitespace on its right
 * @param singleWord matched only when not inside a word
 * @param normalized matched in the normalized text instead of the raw text
 */
record AddedToken(
        int id,
        String content,
        boolean special,
        boolean lstrip,
        boolean rstrip,
        boolean singleWord,
        boolean normalized) {}
