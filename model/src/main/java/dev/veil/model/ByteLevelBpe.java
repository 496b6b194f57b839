package dev.veil.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What every byte-level BPE vocabulary Veil reads or writes shares: GPT-2's byte alphabet, and the part of a Hugging
 * Face tokenizer.json that each writer (a GGUF's vocabulary exported, a trained tokenizer, a synthetic one) writes
 * the same way.
 */
public final class ByteLevelBpe {
    private ByteLevelBpe() {}

    /**
     * GPT-2's bytes_to_unicode: the printable character that stands for each byte (itself when printable, else the
     * next code point from 256 on), so that a token string never holds a raw space or control byte.
     */
    public static char[] byteChars() {
        char[] out = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = (char) (printable ? b : next++);
        }
        return out;
    }

    /** A tokenizer.json's opening on {@code root}: version 1.0, no truncation or padding; returns added_tokens to fill. */
    public static ArrayNode putHeader(ObjectNode root) {
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        return root.putArray("added_tokens");
    }

    /** One added_tokens entry, matched as written: not single-word, no stripping, not normalized. */
    public static void addToken(ArrayNode added, int id, String content, boolean special) {
        added.addObject()
                .put("id", id)
                .put("content", content)
                .put("single_word", false)
                .put("lstrip", false)
                .put("rstrip", false)
                .put("normalized", false)
                .put("special", special);
    }

    /**
     * Makes {@code node} a ByteLevel pre-tokenizer or decoder: GPT-2's byte alphabet, with GPT-2's own split regex when
     * {@code useRegex} (else after a {@code Split} of its own); returns it.
     */
    public static ObjectNode byteLevel(ObjectNode node, boolean addPrefixSpace, boolean useRegex) {
        return node.put("type", "ByteLevel")
                .put("add_prefix_space", addPrefixSpace)
                .put("trim_offsets", true)
                .put("use_regex", useRegex);
    }

    /**
     * Puts the {@code pre_tokenizer} on {@code root}: a {@code Split} by {@code regex} (isolated pieces) then the byte
     * alphabet, as Llama 3's and Qwen's files have it; GPT-2's ByteLevel with its own regex when {@code regex} is null.
     */
    public static void putPreTokenizer(ObjectNode root, String regex) {
        ObjectNode pre = root.putObject("pre_tokenizer");
        if (regex == null) {
            byteLevel(pre, false, true);
            return;
        }
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated").put("invert", false);
        byteLevel(steps.addObject(), false, false);
    }

    /**
     * Puts the ByteLevel {@code decoder} and a BPE {@code model} without dropout, unknown token, sub-word affixes or
     * byte fallback on {@code root}; returns the model, whose vocab and merges the caller adds.
     */
    public static ObjectNode putDecoderAndModel(ObjectNode root, boolean ignoreMerges) {
        byteLevel(root.putObject("decoder"), true, true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE")
                .putNull("dropout")
                .putNull("unk_token")
                .putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix")
                .put("fuse_unk", false)
                .put("byte_fallback", false)
                .put("ignore_merges", ignoreMerges);
        return model;
    }
}
