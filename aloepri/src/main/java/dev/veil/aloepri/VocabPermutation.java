package dev.veil.aloepri;

import dev.veil.aloepri.transform.WeightMatrix;
import java.util.Arrays;
import java.util.Collection;
import java.util.random.RandomGenerator;
import java.util.stream.IntStream;

/**
 * The secret vocabulary permutation τ: plaintext id i is obfuscated id τ(i). The obfuscated model's
 * embedding row τ(i) embeds token i and its logit τ(i) scores token i, so the gateway maps prompt ids
 * through τ and generated ids through τ⁻¹.
 *
 * <p>Special tokens (BOS/EOS, chat-template markers, padding rows beyond the tokenizer's vocabulary) are
 * fixed points: the untrusted engine's stop condition ({@code eos_token_id} from generation_config.json),
 * its BOS handling and the chat template's control tokens keep working unchanged, at the cost of telling
 * the server where those (public, structural) tokens are. Every other id is permuted uniformly.
 */
public final class VocabPermutation {

    private final int[] forward;
    private final int[] inverse;

    public VocabPermutation(int[] forward) {
        this.forward = forward.clone();
        this.inverse = new int[forward.length];
        Arrays.fill(inverse, -1);
        for (int i = 0; i < forward.length; i++) {
            int t = forward[i];
            if (t < 0 || t >= forward.length || inverse[t] >= 0)
                throw new IllegalArgumentException(
                        "not a permutation of 0.." + (forward.length - 1) + ": entry " + i + " = " + t);
            inverse[t] = i;
        }
    }

    /** A uniform permutation of {0..n-1} that keeps every id in {@code fixed} in place. */
    public static VocabPermutation sample(int n, Collection<Integer> fixed, RandomGenerator rng) {
        boolean[] isFixed = new boolean[n];
        for (int id : fixed) if (id >= 0 && id < n) isFixed[id] = true;
        int[] movable = IntStream.range(0, n).filter(i -> !isFixed[i]).toArray();
        int[] shuffled = movable.clone();
        for (int i = shuffled.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        int[] forward = new int[n];
        for (int i = 0; i < n; i++) forward[i] = i;
        for (int i = 0; i < movable.length; i++) forward[movable[i]] = shuffled[i];
        return new VocabPermutation(forward);
    }

    public static VocabPermutation identity(int n) {
        return new VocabPermutation(IntStream.range(0, n).toArray());
    }

    public int size() {
        return forward.length;
    }

    /** τ(id): the id the obfuscated model uses for plaintext token {@code id}. */
    public int obfuscate(int id) {
        return forward[check(id)];
    }

    /** τ⁻¹(id): the plaintext token of obfuscated id {@code id}. */
    public int deobfuscate(int id) {
        return inverse[check(id)];
    }

    public int[] obfuscate(int[] ids) {
        return Arrays.stream(ids).map(this::obfuscate).toArray();
    }

    public int[] deobfuscate(int[] ids) {
        return Arrays.stream(ids).map(this::deobfuscate).toArray();
    }

    /** τ as an array: {@code forward()[i] = τ(i)}. */
    public int[] forward() {
        return forward.clone();
    }

    /** The rows of a vocabulary-indexed matrix moved so that row τ(i) of the result is row i of {@code m}. */
    public WeightMatrix permuteRows(WeightMatrix m) {
        if (m.rows() != forward.length)
            throw new IllegalArgumentException(m.rows() + " rows for a vocabulary of " + forward.length);
        return m.gatherRows(inverse);
    }

    private int check(int id) {
        if (id < 0 || id >= forward.length)
            throw new IllegalArgumentException(
                    "token id " + id + " is outside the key's vocabulary of " + forward.length);
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VocabPermutation p && Arrays.equals(forward, p.forward);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(forward);
    }
}
