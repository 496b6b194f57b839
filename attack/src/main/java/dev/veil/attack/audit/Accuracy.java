package dev.veil.attack.audit;

import dev.veil.aloepri.experiment.NextTokenScores;
import dev.veil.aloepri.experiment.ObfuscationCost;
import dev.veil.attack.capture.Obfuscation;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an obfuscation costs in model quality, on held-out text with teacher forcing ({@link ObfuscationCost}, one
 * window over the whole text): next-token agreement (how often the served model's most likely next token, mapped back
 * through τ⁻¹, is the plain model's) and the perplexity ratio (served / plain), as the audit report's columns.
 */
final class Accuracy {

    static final String AGREEMENT = "next-token agreement", PERPLEXITY = "perplexity ratio";

    private final int[] heldout;
    private final NextTokenScores plain;

    Accuracy(ModelConfig config, Weights plain, int[] heldout) {
        if (heldout.length < 2)
            throw new IllegalArgumentException("the accuracy cost needs at least 2 held-out tokens");
        if (heldout.length > config.maxPositionEmbeddings())
            throw new IllegalArgumentException(heldout.length + " held-out tokens exceed the model's context of "
                    + config.maxPositionEmbeddings());
        this.heldout = heldout.clone();
        this.plain = NextTokenScores.of(ObfuscationCost.engine(config, plain), this.heldout, heldout.length);
    }

    Map<String, Double> of(Obfuscation served) {
        ObfuscationCost c = ObfuscationCost.measure(
                plain,
                ObfuscationCost.engine(served.config(), served.weights()),
                served.tau(),
                heldout,
                heldout.length);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(AGREEMENT, c.agreement());
        m.put(PERPLEXITY, c.perplexity() / c.plainPerplexity());
        return m;
    }
}
