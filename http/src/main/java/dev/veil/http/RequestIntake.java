package dev.veil.http;

import java.time.Duration;

/**
 * How a service that parses large JSON bodies (the token server, the gateway) takes them in: one rule for both.
 *
 * @param maxBodyBytes largest request body; 0: the service derives it from its model's context length
 * @param maxParsing   requests read and parsed at once; others wait up to {@code slotWait} for a slot, then get 503 with
 *                     Retry-After ({@link ParsingSlots}: bounds the memory concurrent large bodies take as JSON trees)
 * @param slotWait     how long a request waits for a parsing slot
 */
public record RequestIntake(int maxBodyBytes, int maxParsing, Duration slotWait) {

    public RequestIntake {
        if (maxBodyBytes < 0)
            throw new IllegalArgumentException("max body bytes must be >= 0 (0: from the context length)");
        if (maxParsing < 1) throw new IllegalArgumentException("max parsing must be >= 1, got " + maxParsing);
        if (slotWait.isNegative()) throw new IllegalArgumentException("the slot wait is negative");
    }

    /** Body limit from the context, 8 requests parsed at once, the others waiting up to 10 s. */
    public static RequestIntake defaults() {
        return new RequestIntake(0, 8, Duration.ofSeconds(10));
    }

    /** The parsing slots this intake allows. */
    public ParsingSlots slots() {
        return new ParsingSlots(maxParsing, slotWait);
    }
}
