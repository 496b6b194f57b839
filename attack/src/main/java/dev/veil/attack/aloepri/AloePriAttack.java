package dev.veil.attack.aloepri;

import dev.veil.attack.Progress;
import dev.veil.attack.TokenStream;
import dev.veil.attack.metrics.Guesses;
import java.util.List;

/** An attack on an AloePri server's view: a guess for every token of every request. */
public interface AloePriAttack {

    /** Guesses per request, and the vocabulary mapping they came from when the attack recovers one (else null). */
    record Outcome(List<Guesses> guesses, VocabMapping mapping) {}

    String name();

    /** Which tokens the guesses line up with. */
    TokenStream stream();

    Outcome attack(AloePriTarget target, Progress progress);
}
