package dev.veil.attack.audit;

import dev.veil.attack.capture.Obfuscation;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an obfuscation costs in model quality, on held-out text with teacher forcing: next-token agreement (how often the
 * served model's most likely next token, mapped back through τ⁻¹, is the plain model's) and the perplexity ratio
 * (served / plain).
 */
final class Accuracy {

    static final String AGREEMENT = "next-token agreement", PERPLEXITY = "perplexity ratio";

    private final int[] heldout;
    private final int vocab;
    private final int[] plainArgmax;
    private final double plainNll;

    Accuracy(ModelConfig config, Weights plain, int[] heldout) {
        if (heldout.length < 2)
            throw new IllegalArgumentException("the accuracy cost needs at least 2 held-out tokens");
        if (heldout.length > config.maxPositionEmbeddings())
            throw new IllegalArgumentException(heldout.length + " held-out tokens exceed the model's context of "
                    + config.maxPositionEmbeddings());
        this.heldout = heldout.clone();
        this.vocab = config.vocabSize();
        float[] logits = logits(config, plain, heldout);
        this.plainArgmax = new int[heldout.length - 1];
        double nll = 0;
        for (int i = 0; i + 1 < heldout.length; i++) {
            plainArgmax[i] = argmax(logits, i * vocab, null);
            nll += nll(logits, i * vocab, heldout[i + 1]);
        }
        this.plainNll = nll / (heldout.length - 1);
    }

    Map<String, Double> of(Obfuscation served) {
        int[] tau = served.tau().forward();
        float[] logits = logits(served.config(), served.weights(), served.tau().obfuscate(heldout));
        int agree = 0;
        double nll = 0;
        for (int i = 0; i + 1 < heldout.length; i++) {
            if (argmax(logits, i * vocab, tau) == plainArgmax[i]) agree++;
            nll += nll(logits, i * vocab, tau[heldout[i + 1]]);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(AGREEMENT, (double) agree / (heldout.length - 1));
        m.put(PERPLEXITY, Math.exp(nll / (heldout.length - 1) - plainNll));
        return m;
    }

    private static float[] logits(ModelConfig c, Weights w, int[] tokens) {
        Transformer t = new Transformer(new LocalLinearBackend(c, w, Parallel.shared()));
        return t.forwardAll(tokens, t.newCache());
    }

    /** The plain id with the largest logit; {@code tau} maps plain ids to the columns of obfuscated logits (null: identity). */
    private int argmax(float[] logits, int off, int[] tau) {
        int best = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < vocab; p++) {
            float x = logits[off + (tau == null ? p : tau[p])];
            if (x > max) {
                max = x;
                best = p;
            }
        }
        return best;
    }

    private double nll(float[] logits, int off, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < vocab; k++) max = Math.max(max, logits[off + k]);
        double sum = 0;
        for (int k = 0; k < vocab; k++) sum += Math.exp(logits[off + k] - max);
        return Math.log(sum) + max - logits[off + target];
    }
}
