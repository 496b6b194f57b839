package dev.veil.tokenizer;

import dev.veil.model.ByteLevelBpe;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character map: byte-level BPE vocabularies spell every byte as one printable
 * character, so that a token string never contains a raw space or control character ("Ġ" is the space byte).
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = ByteLevelBpe.byteChars();
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }

    private ByteLevel() {}

    /** The UTF-8 bytes of {@code text}, each spelled as its byte-level character. */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }

    /** The byte-level character of byte {@code b} (GPT-2's alphabet: every byte a printable character). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /**
     * The bytes a byte-level token spells, or null when some character of it is not a byte-level character
     * (an added token such as "&lt;|im_end|&gt;" is all printable ASCII and maps to itself; one with a raw
     * space does not, and Hugging Face then uses its plain UTF-8 bytes).
     */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }

    static byte[] decodeOrUtf8(String token) {
        byte[] bytes = decode(token);
        return bytes != null ? bytes : token.getBytes(StandardCharsets.UTF_8);
    }
}
