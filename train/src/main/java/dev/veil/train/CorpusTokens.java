package dev.veil.train;

import dev.veil.train.data.Document;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A corpus as one stream of token ids: each document preceded by the document-start token
 * ({@code <|endoftext|>}), as the model will see text at inference time.
 */
public record CorpusTokens(int[] tokens) {

    public static CorpusTokens of(List<Document> docs, Function<String, int[]> encoder, int documentStart) {
        int[][] encoded =
                docs.parallelStream().map(d -> encoder.apply(d.text())).toArray(int[][]::new);
        int total = 0;
        for (int[] e : encoded) total += e.length + 1;
        int[] out = new int[total];
        int pos = 0;
        for (int[] e : encoded) {
            out[pos++] = documentStart;
            System.arraycopy(e, 0, out, pos, e.length);
            pos += e.length;
        }
        return new CorpusTokens(out);
    }

    public int size() {
        return tokens.length;
    }

    /** The first {@code n} tokens (all if fewer). */
    public CorpusTokens head(int n) {
        return new CorpusTokens(Arrays.copyOf(tokens, Math.min(n, tokens.length)));
    }

    /** Inputs and next-token targets of {@code batch} windows of {@code seq}, row-major. */
    public record Batch(int[] inputs, int[] targets, int batch, int seq) {}

    /**
     * The batch of training step {@code step}: windows at positions drawn from a generator seeded by
     * ({@code seed}, {@code step}) alone, so any step's batch is the same whether or not training was resumed.
     */
    public Batch sample(long seed, int step, int batch, int seq) {
        if (tokens.length < seq + 1)
            throw new IllegalArgumentException(
                    "the training stream has " + tokens.length + " tokens, fewer than seq_len + 1 = " + (seq + 1));
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        int[] in = new int[batch * seq], tg = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            int start = rnd.nextInt(tokens.length - seq);
            System.arraycopy(tokens, start, in, b * seq, seq);
            System.arraycopy(tokens, start + 1, tg, b * seq, seq);
        }
        return new Batch(in, tg, batch, seq);
    }
}
