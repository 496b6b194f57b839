package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.capture.Truth;
import dev.veil.attack.metrics.Guesses;
import java.util.List;

/** An attack on a Talaria capture: a guess for every token position of every request. */
public interface TalariaAttack {

    /** Which tokens the guesses line up with. */
    enum Stream {
        /** One guess per processed token (the rows of every per-layer product): {@link Truth.RequestTruth#processed()}. */
        PROCESSED,
        /** One guess per generated token (the LM head's rows): {@link Truth.RequestTruth#generated()}. */
        GENERATED;

        public int[] truth(Truth.RequestTruth t) {
            return this == PROCESSED ? t.processed() : t.generated();
        }
    }

    String name();

    Stream stream();

    /** Guesses for each request of the target's capture, in order; {@code progress} is told after each request. */
    List<Guesses> attack(TalariaTarget target, Progress progress);
}
