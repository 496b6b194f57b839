package dev.veil.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Token strings by id and ids by token string, with a fast path for single-character tokens. */
final class Vocabulary {
    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final int[] bmpCharIds = new int[Character.MAX_VALUE + 1];

    /** @param tokens token string per id; null entries are unused ids */
    Vocabulary(String[] tokens) {
        this.tokens = tokens;
        this.ids = HashMap.newHashMap(tokens.length);
        Arrays.fill(bmpCharIds, -1);
        for (int id = 0; id < tokens.length; id++) {
            String token = tokens[id];
            if (token == null) continue;
            ids.put(token, id); // a duplicated string maps to its last id, as in llama.cpp's token_to_id
            if (token.length() == 1) bmpCharIds[token.charAt(0)] = id;
        }
    }

    int size() {
        return tokens.length;
    }

    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** The id of {@code token}, or -1. */
    int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    /** The id of the token that is exactly the code point {@code cp}, or -1. */
    int charId(int cp) {
        return cp <= Character.MAX_VALUE ? bmpCharIds[cp] : id(Character.toString(cp));
    }

    /** The ids of the 256 byte-fallback tokens "&lt;0x00&gt;".."&lt;0xFF&gt;", or null when any is missing. */
    int[] byteTokenIds() {
        int[] result = new int[256];
        for (int b = 0; b < 256; b++) {
            result[b] = id(byteTokenName(b));
            if (result[b] < 0) return null;
        }
        return result;
    }

    static String byteTokenName(int b) {
        return String.format("<0x%02X>", b);
    }
}
