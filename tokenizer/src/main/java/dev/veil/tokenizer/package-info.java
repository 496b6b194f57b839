/**
 * Pure-Java tokenizers for the trusted side: {@link dev.veil.tokenizer.Tokenizer} reads a Hugging Face
 * {@code tokenizer.json} (byte-level BPE: GPT-2, Llama 3, Qwen2/3; SentencePiece-style BPE with byte fallback:
 * Llama 2) or a GGUF vocabulary (llama.cpp's "gpt2" and "llama" models) and encodes exactly as Hugging Face's
 * tokenizers and llama.cpp do (tests compare ids with both). {@link dev.veil.tokenizer.StreamingDecoder} turns
 * generated ids into text without ever splitting a character, {@link dev.veil.tokenizer.StopStrings} cuts the
 * stream at stop strings, and {@link dev.veil.tokenizer.ChatTemplate} renders a model's Jinja chat template.
 *
 * <p>Encoding pipeline, per source: added tokens cut out of the raw text ({@code AddedTokenSplitter}) ->
 * normalizer ({@code TextNormalizer}) -> pre-tokenizer regexes and byte-level mapping ({@code PreTokenizer},
 * {@code SplitRegex}, {@code ByteLevel}) -> merges ({@code BpeModel} by rank, {@code SentencePieceModel} by
 * score). Decoding maps each id to a fixed byte string ({@code Detokenizer}) and decodes the bytes as UTF-8
 * ({@code Utf8}).
 */
package dev.veil.tokenizer;
