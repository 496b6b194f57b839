package dev.veil.attack.aloepri;

import dev.veil.attack.capture.Request;
import dev.veil.attack.math.TopK;
import dev.veil.attack.metrics.Guesses;
import dev.veil.engine.kernel.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An attacker's guess of τ⁻¹: for every obfuscated id, plain ids best first. Applied to the obfuscated id streams it
 * reads the requests; with the true τ it scores the whole vocabulary.
 */
public record VocabMapping(int[][] ranked) {

    /** Ranks, for each obfuscated id (row of {@code distance [V_obf × V_plain]}), the {@code k} nearest plain ids. */
    public static VocabMapping nearest(float[] distance, int vocab, int k) {
        int[][] ranked = new int[vocab][];
        Parallel.shared()
                .forEach(
                        vocab,
                        o -> ranked[o] = TopK.smallest(Arrays.copyOfRange(distance, o * vocab, (o + 1) * vocab), k));
        return new VocabMapping(ranked);
    }

    /** Guesses for a request's id streams, prompt then generated. */
    public Guesses guesses(Request r) {
        int[][] g = new int[r.idsIn().length + r.idsOut().length][];
        int i = 0;
        for (int id : r.idsIn()) g[i++] = ranked[id];
        for (int id : r.idsOut()) g[i++] = ranked[id];
        return new Guesses(g);
    }

    public List<Guesses> guesses(List<Request> requests) {
        List<Guesses> out = new ArrayList<>();
        for (Request r : requests) out.add(guesses(r));
        return out;
    }

    /** Fraction of the vocabulary whose obfuscated id maps back to it first, given the true τ (plain → obfuscated). */
    public double vocabularyTop1(int[] tau) {
        int hits = 0;
        for (int p = 0; p < tau.length; p++) if (ranked[tau[p]][0] == p) hits++;
        return (double) hits / tau.length;
    }
}
