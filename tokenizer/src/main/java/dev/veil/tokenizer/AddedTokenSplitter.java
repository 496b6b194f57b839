package dev.veil.tokenizer;

import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;

/**
 * Finds added tokens in text, leftmost first and longest at a position (Hugging Face's Aho-Corasick
 * LeftmostLongest), and cuts the text around them.
 */
final class AddedTokenSplitter {
    private static final Pattern WORD_CHAR = Pattern.compile("\\w", Pattern.UNICODE_CHARACTER_CLASS);

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean[] firstChars = new boolean[Character.MAX_VALUE + 1];
    private final boolean empty;

    AddedTokenSplitter(Collection<AddedToken> tokens) {
        for (AddedToken token : tokens) {
            if (token.content().isEmpty()) continue;
            Node node = root;
            for (char c : token.content().toCharArray()) node = node.children.computeIfAbsent(c, k -> new Node());
            node.token = token;
            firstChars[token.content().charAt(0)] = true;
        }
        empty = root.children.isEmpty();
    }

    /**
     * Feeds the text between matches to {@code textSink} and the ids of matches to {@code tokenSink}, in order.
     *
     * @param parseSpecial when false, special tokens are left in the text as plain characters
     */
    void split(String text, boolean parseSpecial, Consumer<String> textSink, IntConsumer tokenSink) {
        split(text, parseSpecial, null, (segment, offset) -> textSink.accept(segment), tokenSink);
    }

    /** Text between matches and where it starts in {@code text}. */
    interface SegmentSink {
        void accept(String segment, int offset);
    }

    /**
     * As {@link #split(String, boolean, Consumer, IntConsumer)}, and a special token that overlaps a position set in
     * {@code plain} (null: none) stays plain characters too.
     */
    void split(String text, boolean parseSpecial, BitSet plain, SegmentSink textSink, IntConsumer tokenSink) {
        if (empty) {
            if (!text.isEmpty()) textSink.accept(text, 0);
            return;
        }
        int emitted = 0; // text before this offset went to the sink
        int pos = 0;
        while (pos < text.length()) {
            if (!firstChars[text.charAt(pos)]) {
                pos++;
                continue;
            }
            AddedToken match = longestAt(text, pos);
            if (match == null) {
                pos++;
                continue;
            }
            int start = pos, stop = pos + match.content().length();
            pos = stop; // matches never overlap: a skipped match is still consumed, as in Hugging Face
            if (match.special() && (!parseSpecial || overlaps(plain, start, stop))) continue;
            if (match.singleWord() && !standsAlone(text, start, stop)) continue;
            if (match.lstrip()) while (start > emitted && isWhitespace(text.charAt(start - 1))) start--;
            if (match.rstrip()) while (stop < text.length() && isWhitespace(text.charAt(stop))) stop++;
            if (start > emitted) textSink.accept(text.substring(emitted, start), emitted);
            tokenSink.accept(match.id());
            emitted = stop;
            pos = stop;
        }
        if (emitted < text.length()) textSink.accept(text.substring(emitted), emitted);
    }

    static boolean overlaps(BitSet plain, int start, int stop) {
        if (plain == null) return false;
        int next = plain.nextSetBit(start);
        return next >= 0 && next < stop;
    }

    private AddedToken longestAt(String text, int pos) {
        Node node = root;
        AddedToken longest = null;
        for (int i = pos; i < text.length(); i++) {
            node = node.children.get(text.charAt(i));
            if (node == null) break;
            if (node.token != null) longest = node.token;
        }
        return longest;
    }

    private static boolean standsAlone(String text, int start, int stop) {
        boolean wordBefore = start > 0
                && WORD_CHAR
                        .matcher(text.substring(text.offsetByCodePoints(start, -1), start))
                        .matches();
        boolean wordAfter = stop < text.length()
                && WORD_CHAR
                        .matcher(text.substring(stop, text.offsetByCodePoints(stop, 1)))
                        .matches();
        return !wordBefore && !wordAfter;
    }

    /** Unicode White_Space, as Rust's char::is_whitespace. */
    static boolean isWhitespace(char c) {
        return (c >= '\t' && c <= '\r')
                || c == ' '
                || c == '\u0085'
                || c == '\u00A0'
                || c == '\u1680'
                || (c >= '\u2000' && c <= '\u200A')
                || c == '\u2028'
                || c == '\u2029'
                || c == '\u202F'
                || c == '\u205F'
                || c == '\u3000';
    }
}
