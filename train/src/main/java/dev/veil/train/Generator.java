package dev.veil.train;

import dev.veil.train.model.Transformer;
import dev.veil.train.nn.Tape;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Continues a prompt with the training model (full recomputation per token, no KV cache: for samples and
 * checks, not for serving). Temperature 0 is greedy decoding.
 */
public final class Generator {
    private Generator() {}

    public static int[] generate(Transformer model, int[] prompt, int maxNewTokens, double temperature, long seed, int stopToken) {
        int context = model.config().maxPositionEmbeddings();
        int vocab = model.config().vocabSize();
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] seq = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
        int len = prompt.length;
        while (len < seq.length) {
            int from = Math.max(0, len - context);
            int[] window = Arrays.copyOfRange(seq, from, len);
            float[] logits = model.logits(Tape.inference(), window, 1, window.length).value();
            int next = pick(logits, (window.length - 1) * vocab, vocab, temperature, rnd);
            seq[len++] = next;
            if (next == stopToken) break;
        }
        return Arrays.copyOf(seq, len);
    }

    private static int pick(float[] logits, int off, int vocab, double temperature, SplittableRandom rnd) {
        int best = 0;
        for (int j = 1; j < vocab; j++) if (logits[off + j] > logits[off + best]) best = j;
        if (temperature <= 0) return best;
        double[] p = new double[vocab];
        double sum = 0;
        for (int j = 0; j < vocab; j++) sum += p[j] = Math.exp((logits[off + j] - logits[off + best]) / temperature);
        double u = rnd.nextDouble() * sum;
        for (int j = 0; j < vocab; j++) if ((u -= p[j]) <= 0) return j;
        return vocab - 1;
    }
}
