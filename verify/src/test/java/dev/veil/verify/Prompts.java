package dev.veil.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Token-id prompts: random ids over the whole vocabulary, lengths from 1 up to {@code maxLength}, fixed by seed. */
final class Prompts {
    private Prompts() {}

    static List<int[]> random(int vocabSize, int count, int maxLength, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            int length = p == 0 ? 1 : 1 + rng.nextInt(maxLength); // the first is a single token: no attention history
            out.add(rng.ints(length, 0, vocabSize).toArray());
        }
        return out;
    }
}
