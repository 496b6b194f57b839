package dev.veil.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes generated ids one at a time and emits only whole characters: a byte-level token or a
 * "&lt;0xNN&gt;" byte token can end in the middle of a UTF-8 sequence, and those bytes wait for the next
 * token. The concatenation of everything {@link #next} and {@link #flush} return equals
 * {@code tokenizer.decode(allIds, skipSpecial)}. Not thread-safe: one per generation stream.
 */
public final class StreamingDecoder {
    private final Detokenizer detokenizer;
    private final boolean skipSpecial;
    private int stripLeft;          // leading spaces still to drop at the start of the text
    private byte[] pending = new byte[0];

    StreamingDecoder(Detokenizer detokenizer, boolean skipSpecial) {
        this.detokenizer = detokenizer;
        this.skipSpecial = skipSpecial;
        this.stripLeft = detokenizer.stripLeadingSpaces();
    }

    /** Adds one id; returns the text that is now complete (possibly empty). */
    public String next(int id) {
        if (detokenizer.skipped(id, skipSpecial)) return "";
        byte[] piece = detokenizer.piece(id);
        int from = 0;
        while (stripLeft > 0 && from < piece.length && piece[from] == ' ') {
            from++;
            stripLeft--;
        }
        if (from < piece.length) stripLeft = 0;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(pending.length + piece.length);
        buffer.write(pending, 0, pending.length);
        buffer.write(piece, from, piece.length - from);
        byte[] bytes = buffer.toByteArray();
        int complete = bytes.length - incompleteTail(bytes);
        pending = Arrays.copyOfRange(bytes, complete, bytes.length);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Ends the stream: bytes of a character that never completed come out as U+FFFD. */
    public String flush() {
        String rest = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return rest;
    }

    /**
     * How many bytes at the end form the valid beginning of a UTF-8 sequence that is not complete yet
     * (0..3). Bytes that can never become valid are not held back: the decoder replaces them now, exactly
     * as it would with the rest of the text after them.
     */
    static int incompleteTail(byte[] bytes) {
        int n = bytes.length;
        for (int back = 1; back <= 3 && back <= n; back++) {
            int lead = bytes[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue; // a continuation byte: look further back for the lead
            int need = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead <= 0xDF ? 2 : 1;
            if (lead >= 0xF5) need = 1;
            if (need <= back) return 0; // complete (or invalid) here: nothing to hold
            if (back >= 2 && !validSecondByte(lead, bytes[n - back + 1] & 0xFF)) return 0;
            return back;
        }
        return 0;
    }

    /** The second-byte ranges of UTF-8 that exclude overlong forms, surrogates and code points above U+10FFFF. */
    private static boolean validSecondByte(int lead, int second) {
        return switch (lead) {
            case 0xE0 -> second >= 0xA0 && second <= 0xBF;
            case 0xED -> second >= 0x80 && second <= 0x9F;
            case 0xF0 -> second >= 0x90 && second <= 0xBF;
            case 0xF4 -> second >= 0x80 && second <= 0x8F;
            default -> second >= 0x80 && second <= 0xBF;
        };
    }
}
