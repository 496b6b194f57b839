package dev.veil.talaria.client;

import dev.veil.talaria.protocol.MaskPrg;
import java.util.Set;

/**
 * Where decoy prompts come from. A decoy is only as good as it is plausible: the cloud can recover every row's
 * complement (or, with no mask, the row itself) but must not be able to tell the real sequence from the decoys, so
 * decoys should be real text of the same kind as the user's (a corpus of similar prompts), with the same special
 * tokens (BOS, chat-template markers) at the same positions as the real prompt.
 */
public interface DecoySource {

    /** A decoy for {@code real}: same length, same special tokens where {@code real} has them. */
    int[] decoyFor(int[] real, Set<Integer> specialIds);

    /** Windows of a token stream (a tokenized corpus of text like the user's), each starting at a random offset. */
    static DecoySource corpus(int[] tokens) {
        if (tokens.length < 2) throw new IllegalArgumentException("the decoy corpus needs at least 2 tokens");
        MaskPrg rng = MaskPrg.fresh();
        return (real, special) -> {
            int[] d = new int[real.length];
            int at;
            synchronized (rng) {
                at = rng.nextInt(tokens.length);
            }
            for (int i = 0; i < real.length; i++) {
                if (special.contains(real[i])) {
                    d[i] = real[i];
                } else {
                    d[i] = tokens[at];
                    at = (at + 1) % tokens.length;
                }
            }
            return d;
        };
    }

    /** Uniformly random token ids: implausible text, easy to tell from a real prompt. For tests and measurements. */
    static DecoySource uniform(int vocabSize) {
        MaskPrg rng = MaskPrg.fresh();
        return (real, special) -> {
            int[] d = new int[real.length];
            synchronized (rng) {
                for (int i = 0; i < d.length; i++) d[i] = special.contains(real[i]) ? real[i] : rng.nextInt(vocabSize);
            }
            return d;
        };
    }
}
