package dev.veil.tokenizer;

import java.io.ByteArrayOutputStream;
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
    private int stripLeft; // leading spaces still to drop at the start of the text
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
        int complete = bytes.length - Utf8.incompleteTail(bytes, bytes.length);
        pending = Arrays.copyOfRange(bytes, complete, bytes.length);
        return Utf8.decode(bytes, 0, complete);
    }

    /** Ends the stream: bytes of a character that never completed come out as U+FFFD. */
    public String flush() {
        String rest = Utf8.decode(pending);
        pending = new byte[0];
        return rest;
    }
}
