package dev.veil.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Turns token ids back into bytes. Every token contributes a fixed byte string (its "piece"): byte-level
 * characters map back to their bytes, "▁" to a space, "&lt;0xNN&gt;" to one byte. The text is the UTF-8
 * decoding of the concatenated pieces, so it never depends on how a stream of ids was cut
 * ({@link StreamingDecoder} relies on that). SentencePiece vocabularies also drop the space they prepended
 * to the text, once, at its start.
 */
final class Detokenizer {
    private final byte[][] pieces;
    private final IntPredicate special;
    private final int stripLeadingSpaces;

    Detokenizer(byte[][] pieces, IntPredicate special, int stripLeadingSpaces) {
        this.pieces = pieces;
        this.special = special;
        this.stripLeadingSpaces = stripLeadingSpaces;
    }

    /** The bytes of token {@code id}, or an empty array for an id outside the vocabulary. */
    byte[] piece(int id) {
        byte[] piece = id >= 0 && id < pieces.length ? pieces[id] : null;
        return piece != null ? piece : new byte[0];
    }

    boolean skipped(int id, boolean skipSpecial) {
        return skipSpecial && special.test(id);
    }

    int stripLeadingSpaces() {
        return stripLeadingSpaces;
    }

    byte[] bytes(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        int strip = stripLeadingSpaces;
        for (int id : ids) {
            if (skipped(id, skipSpecial)) continue;
            byte[] piece = piece(id);
            int from = 0;
            while (strip > 0 && from < piece.length && piece[from] == ' ') {
                from++;
                strip--;
            }
            if (from < piece.length) strip = 0; // only spaces at the very start of the text are dropped
            out.write(piece, from, piece.length - from);
        }
        return out.toByteArray();
    }

    /** One step of a tokenizer.json decoder, applied to a token on its way from string to bytes. */
    sealed interface Step {
        /** A string-to-string rewrite (Replace). */
        record Rewrite(UnaryOperator<String> rewrite) implements Step {}

        /** Tokens "&lt;0xNN&gt;" become that byte (ByteFallback). */
        record ByteFallback() implements Step {}

        /** Byte-level characters become their bytes (ByteLevel). */
        record ByteLevelBytes() implements Step {}
    }

    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    /** The piece of a token string under a chain of decoder steps. */
    static byte[] piece(String token, List<Step> steps) {
        String text = token;
        for (Step step : steps) {
            switch (step) {
                case Step.Rewrite r -> text = r.rewrite().apply(text);
                case Step.ByteFallback b -> {
                    if (BYTE_TOKEN.matcher(text).matches())
                        return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
                }
                case Step.ByteLevelBytes b -> {
                    return ByteLevel.decodeOrUtf8(text);
                }
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
