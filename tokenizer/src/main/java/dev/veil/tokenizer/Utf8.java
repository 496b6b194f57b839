package dev.veil.tokenizer;

/**
 * Lossy UTF-8 decoding with one U+FFFD per maximal invalid subpart (the Unicode recommendation, and what
 * Rust's {@code String::from_utf8_lossy} in Hugging Face's decoders does). Java's own decoder groups some
 * invalid sequences differently (an encoded surrogate is one replacement, not one per byte), and a stream
 * cut in the middle of such a sequence would then decode differently from the whole; with this decoder the
 * bytes before a valid-but-incomplete tail always decode the same, whatever follows.
 */
final class Utf8 {
    private Utf8() {}

    static final char REPLACEMENT = '\uFFFD';

    static String decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    static String decode(byte[] bytes, int from, int to) {
        StringBuilder out = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                out.append((char) lead);
                i++;
                continue;
            }
            int need = sequenceLength(lead);
            if (need == 0) {
                out.append(REPLACEMENT);
                i++;
                continue;
            }
            int cp = lead & (0xFF >> (need + 1));
            int j = i + 1;
            while (j < i + need && j < to && continues(lead, j - i, bytes[j] & 0xFF)) {
                cp = (cp << 6) | (bytes[j] & 0x3F);
                j++;
            }
            if (j == i + need) out.appendCodePoint(cp);
            else out.append(REPLACEMENT); // the valid start i..j-1 is one maximal subpart
            i = j;
        }
        return out.toString();
    }

    /** How many bytes a sequence starting with {@code lead} has (2..4), or 0 when it cannot start one. */
    static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) return 2;
        if (lead >= 0xE0 && lead <= 0xEF) return 3;
        if (lead >= 0xF0 && lead <= 0xF4) return 4;
        return 0;
    }

    /**
     * Whether {@code b} may stand at {@code position} (1..3) of a sequence led by {@code lead}: the second byte's
     * range excludes overlong forms, surrogates and code points above U+10FFFF.
     */
    static boolean continues(int lead, int position, int b) {
        if (position > 1) return b >= 0x80 && b <= 0xBF;
        return switch (lead) {
            case 0xE0 -> b >= 0xA0 && b <= 0xBF;
            case 0xED -> b >= 0x80 && b <= 0x9F;
            case 0xF0 -> b >= 0x90 && b <= 0xBF;
            case 0xF4 -> b >= 0x80 && b <= 0x8F;
            default -> b >= 0x80 && b <= 0xBF;
        };
    }

    /**
     * How many bytes at the end are the valid beginning of a sequence that is not complete yet (0..3).
     * Invalid bytes are not counted: they decode to U+FFFD whatever follows.
     */
    static int incompleteTail(byte[] bytes, int length) {
        for (int back = 1; back <= 3 && back <= length; back++) {
            int lead = bytes[length - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue; // a continuation byte: its lead is further back
            int need = sequenceLength(lead);
            if (need <= back) return 0; // complete, or not a lead at all
            for (int k = 1; k < back; k++) if (!continues(lead, k, bytes[length - back + k] & 0xFF)) return 0;
            return back;
        }
        return 0;
    }
}
