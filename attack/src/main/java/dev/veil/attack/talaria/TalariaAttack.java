package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.TokenStream;
import dev.veil.attack.metrics.Guesses;
import java.util.List;

/** An attack on a Talaria capture: a guess for every token position of every request. */
public interface TalariaAttack {

    String name();

    /** Which tokens the guesses line up with: by default one per token the forward passes ran. */
    default TokenStream stream() {
        return TokenStream.PROCESSED;
    }

    /** Guesses for each request of the target's capture, in order; {@code progress} is told after each request. */
    List<Guesses> attack(TalariaTarget target, Progress progress);
}
