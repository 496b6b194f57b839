package dev.veil.tokenizer;

/** The subword model: turns one pre-tokenized piece into token ids. Implementations are thread-safe. */
interface TokenModel {
    void encode(String piece, IntList out);
}
