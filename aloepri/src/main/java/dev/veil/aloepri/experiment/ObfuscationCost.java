package dev.veil.aloepri.experiment;

import dev.veil.aloepri.VocabPermutation;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.Locale;

/**
 * What an obfuscation costs in model quality on public text, teacher-forced: the served model's perplexity against the
 * plain model's, and its next-token agreement (how often its most likely next token, mapped back through τ⁻¹, is the
 * plain model's). The one measurement behind the compiler's cost line, the noise budget and the frontier.
 *
 * @param plainPerplexity the plain model's perplexity on the text
 * @param perplexity      the served model's, on the same text mapped through τ
 * @param agreement       share of positions where the two predict the same next token
 * @param positions       positions scored
 */
public record ObfuscationCost(double plainPerplexity, double perplexity, double agreement, int positions) {

    /** The relative perplexity increase (0.1 = +10%). */
    public double increase() {
        return perplexity / plainPerplexity - 1;
    }

    /**
     * @param plain  the plain model's scores on {@code tokens} (plain ids), measured once and reused across settings
     * @param served the obfuscated model
     * @param tau    its vocabulary permutation
     */
    public static ObfuscationCost measure(
            NextTokenScores plain, Transformer served, VocabPermutation tau, int[] tokens, int context) {
        NextTokenScores s = NextTokenScores.of(served, tau.obfuscate(tokens), context);
        return new ObfuscationCost(
                plain.perplexity(),
                s.perplexity(),
                NextTokenScores.matching(tau.deobfuscate(s.argmax()), plain.argmax()),
                s.positions());
    }

    /** Veil's engine over {@code weights}, on the shared thread pool. */
    public static Transformer engine(ModelConfig config, Weights weights) {
        return new Transformer(new LocalLinearBackend(config, weights, Parallel.shared()));
    }

    /** "perplexity +X% (P → Q over N positions), next-token agreement Y%". */
    public String summary() {
        return String.format(
                Locale.ROOT,
                "perplexity %+.2f%% (%.3f -> %.3f over %d positions), next-token agreement %.1f%%",
                100 * increase(),
                plainPerplexity,
                perplexity,
                positions,
                100 * agreement);
    }
}
