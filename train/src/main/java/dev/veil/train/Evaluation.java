package dev.veil.train;

import dev.veil.train.model.Transformer;
import dev.veil.train.nn.CrossEntropy;
import dev.veil.train.nn.Tape;

/**
 * Next-token cross-entropy of a model over a whole token stream: consecutive windows of {@code seq + 1} tokens
 * overlapping by one, so every token after the first is predicted exactly once (with up to {@code seq} tokens
 * of context) — the same targets the n-gram baselines predict.
 */
public final class Evaluation {
    private Evaluation() {}

    /** Total negative log-likelihood (nats) and the number of predicted tokens. */
    public record Result(double nats, long tokens) {
        public double crossEntropy() {
            return nats / tokens;
        }

        public double perplexity() {
            return Math.exp(crossEntropy());
        }

        Result plus(Result o) {
            return new Result(nats + o.nats, tokens + o.tokens);
        }
    }

    public static Result run(Transformer model, CorpusTokens stream, int seq, int batch) {
        int[] t = stream.tokens();
        int targets = t.length - 1;
        int full = targets / seq;
        Result total = new Result(0, 0);
        for (int w = 0; w < full; w += batch)
            total = total.plus(windows(model, t, w * seq, Math.min(batch, full - w), seq, seq));
        int rest = targets - full * seq;
        if (rest > 0) total = total.plus(windows(model, t, full * seq, 1, rest, seq));
        return total;
    }

    /** {@code rows} consecutive windows of {@code len} predictions, {@code stride} apart, from {@code start}. */
    private static Result windows(Transformer model, int[] t, int start, int rows, int len, int stride) {
        int[] in = new int[rows * len], tg = new int[rows * len];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(t, start + r * stride, in, r * len, len);
            System.arraycopy(t, start + r * stride + 1, tg, r * len, len);
        }
        double mean = CrossEntropy.mean(Tape.inference(), model.logits(Tape.inference(), in, rows, len), tg)
                .item();
        return new Result(mean * tg.length, tg.length);
    }
}
