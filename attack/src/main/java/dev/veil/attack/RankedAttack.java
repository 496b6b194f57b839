package dev.veil.attack;

import java.util.Objects;

/**
 * What every attack on either design states the same way: the name its reports print, the tokens its guesses line up
 * with, and {@code k}, how many ranked guesses it makes per position (top-k recovery). One home for the three, so an
 * attack class holds only its method.
 */
public abstract class RankedAttack {

    private final String name;
    private final TokenStream stream;

    /** Ranked guesses kept per position. */
    protected final int k;

    protected RankedAttack(String name, TokenStream stream, int k) {
        this.name = Objects.requireNonNull(name, "name");
        this.stream = Objects.requireNonNull(stream, "stream");
        this.k = k;
    }

    public final String name() {
        return name;
    }

    public final TokenStream stream() {
        return stream;
    }
}
