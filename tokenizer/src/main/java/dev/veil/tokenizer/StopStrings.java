package dev.veil.tokenizer;

import java.util.List;

/**
 * Watches a stream of decoded text for stop strings. Text that could still be the beginning of a stop
 * string is held back until the next chunk decides it; when a stop string appears, the text before it is
 * released and the stream is over. Not thread-safe: one per generation stream.
 */
public final class StopStrings {
    /**
     * What a chunk released.
     *
     * @param text    text safe to show now (never part of a stop string)
     * @param stopped a stop string appeared: {@code text} ends right before it, and nothing more will come
     */
    public record Result(String text, boolean stopped) {}

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops) {
        for (String stop : stops)
            if (stop == null || stop.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        this.stops = List.copyOf(stops);
    }

    /** Feeds the next piece of decoded text. After a stop every call returns ("", true). */
    public Result accept(String chunk) {
        if (stopped) return new Result("", true);
        held.append(chunk);
        int earliest = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) earliest = at;
        }
        if (earliest >= 0) {
            stopped = true;
            String text = held.substring(0, earliest);
            held.setLength(0);
            return new Result(text, true);
        }
        int keep = longestSuffixThatStartsAStop();
        String text = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return new Result(text, false);
    }

    /** The end of generation: releases the held text (it did not become a stop string). */
    public String flush() {
        String text = stopped ? "" : held.toString();
        held.setLength(0);
        return text;
    }

    public boolean stopped() {
        return stopped;
    }

    private int longestSuffixThatStartsAStop() {
        String text = held.toString();
        int best = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, text.length()); len > best; len--) {
                if (text.regionMatches(text.length() - len, stop, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
