package dev.veil.train.tokenizer;

/**
 * GPT-2's byte-to-character alphabet: every byte gets a printable character, so byte-level BPE tokens are
 * plain strings in {@code tokenizer.json} (a space is {@code Ġ}, a newline {@code Ċ}).
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
        }
    }

    private ByteLevel() {}

    public static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The byte-level string of {@code bytes}. */
    public static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) sb.append(BYTE_TO_CHAR[b & 0xff]);
        return sb.toString();
    }
}
