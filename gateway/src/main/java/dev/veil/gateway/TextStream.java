package dev.veil.gateway;

import dev.veil.tokenizer.StopStrings;
import dev.veil.tokenizer.StreamingDecoder;
import dev.veil.tokenizer.Tokenizer;
import java.util.List;

/**
 * Turns a {@link PrivateStream} of plaintext ids into text for the app: incremental UTF-8-safe detokenization (a
 * character split across tokens waits for its last byte), special tokens such as EOS skipped, and stop strings
 * matched on the text — text that could still begin a stop string is held back, and a match cancels the generation
 * upstream.
 */
final class TextStream {

    private final PrivateStream ids;
    private final StreamingDecoder decoder;
    private final StopStrings stops;
    private int generated;
    private String finishReason;

    TextStream(PrivateStream ids, Tokenizer tokenizer, List<String> stop) {
        this.ids = ids;
        this.decoder = tokenizer.streamingDecoder(true);
        this.stops = new StopStrings(stop);
    }

    /** The next piece of text (possibly empty), or null once generation has ended ({@link #finishReason()}). */
    String next() throws UpstreamException {
        if (finishReason != null) return null;
        int id = ids.next();
        if (id < 0) {
            StopStrings.Result last = stops.accept(decoder.flush());
            finishReason = last.stopped() || ids.finish() == PrivateStream.Finish.STOP ? "stop" : "length";
            return last.text() + stops.flush();
        }
        generated++;
        StopStrings.Result r = stops.accept(decoder.next(id));
        if (r.stopped()) {
            ids.close(); // the rest is not wanted: cancel upstream
            finishReason = "stop";
        }
        return r.text();
    }

    /** {@code "stop"} (EOS or a stop string) or {@code "length"}; null while running. */
    String finishReason() {
        return finishReason;
    }

    /** Ids generated so far (the usage's completion_tokens). */
    int generated() {
        return generated;
    }
}
