package dev.veil.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A valid byte-level BPE {@code tokenizer.json} of any vocabulary size, for random-weight models: ids 0–255 are the
 * 256 bytes (GPT-2's byte-to-unicode alphabet), then merges of a token and a lowercase letter ("aa", "ab", ...,
 * "aaa", ...), then the special tokens last. Engines need a vocabulary block even when only token ids are used
 * (llama.cpp refuses a GGUF without tokens and merges; Jlama refuses a directory without tokenizer.json).
 */
public final class SyntheticTokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SyntheticTokenizer() {}

    /** The tokens in id order: bytes, merged tokens, then {@code specials}. */
    public static List<String> tokens(int vocabSize, List<String> specials) {
        return build(vocabSize, specials).tokens;
    }

    /** Writes {@code dir/tokenizer.json}; the specials take the last ids. */
    public static void write(Path dir, int vocabSize, List<String> specials) throws IOException {
        Vocabulary v = build(vocabSize, specials);
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = ByteLevelBpe.putHeader(root);
        for (int i = 0; i < specials.size(); i++)
            ByteLevelBpe.addToken(added, vocabSize - specials.size() + i, specials.get(i), true);
        root.putNull("normalizer");
        ByteLevelBpe.putPreTokenizer(root, null);
        root.putNull("post_processor");
        ObjectNode model = ByteLevelBpe.putDecoderAndModel(root, false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < vocabSize - specials.size(); i++) vocab.put(v.tokens.get(i), i);
        ArrayNode merges = model.putArray("merges");
        v.merges.forEach(merges::add);
        JSON.writerWithDefaultPrettyPrinter()
                .writeValue(dir.resolve("tokenizer.json").toFile(), root);
    }

    private record Vocabulary(List<String> tokens, List<String> merges) {}

    private static Vocabulary build(int vocabSize, List<String> specials) {
        int plain = vocabSize - specials.size();
        if (plain < 256)
            throw new IllegalArgumentException("vocab_size " + vocabSize + " leaves fewer than 256 byte tokens");
        List<String> tokens = new ArrayList<>(byteAlphabet());
        Set<String> seen = new HashSet<>(tokens);
        List<String> merges = new ArrayList<>();
        for (int i = 'a'; tokens.size() < plain; i++) {
            String left = tokens.get(i);
            for (char c = 'a'; c <= 'z' && tokens.size() < plain; c++) {
                String merged = left + c;
                if (seen.add(merged)) {
                    tokens.add(merged);
                    merges.add(left + " " + c);
                }
            }
        }
        tokens.addAll(specials);
        return new Vocabulary(tokens, merges);
    }

    /** GPT-2's printable stand-ins for the 256 byte values, in byte order. */
    static List<String> byteAlphabet() {
        List<String> out = new ArrayList<>(256);
        for (char c : ByteLevelBpe.byteChars()) out.add(Character.toString(c));
        return out;
    }
}
