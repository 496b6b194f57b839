package dev.veil.attack;

import dev.veil.attack.capture.Truth;

/** Which of a request's tokens an attack's guesses line up with. */
public enum TokenStream {
    /** One guess per token the forward passes ran (one per row of every per-layer product): {@link Truth.RequestTruth#processed()}. */
    PROCESSED,
    /** One guess per generated token (the LM head's rows). */
    GENERATED,
    /** One guess per token the server handled, prompt then generated (AloePri's id streams): {@link Truth.RequestTruth#all()}. */
    ALL;

    public int[] truth(Truth.RequestTruth t) {
        return switch (this) {
            case PROCESSED -> t.processed();
            case GENERATED -> t.generated();
            case ALL -> t.all();
        };
    }
}
