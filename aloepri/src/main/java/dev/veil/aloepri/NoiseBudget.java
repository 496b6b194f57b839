package dev.veil.aloepri;

import dev.veil.aloepri.experiment.InMemoryModel;
import dev.veil.aloepri.experiment.NextTokenScores;
import dev.veil.aloepri.experiment.ObfuscationCost;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Scales a noise profile (α_e, α_h, α_down, α_gate_up by one common factor, {@link AloePriParams#scaleNoise}) to the most
 * noise whose measured accuracy cost stays within a budget: the relative increase of the obfuscated model's perplexity on
 * public text over the plain model's. Every round obfuscates in memory with the user's own key (the same master stream,
 * so only the factor changes between rounds: the noise draws are the same, scaled) and scores it on Veil's engine. The
 * factor is searched in [0, {@link #MAX_FACTOR}]: doubled from 1 while within the budget, then bisected. The result is
 * always a measured round within the budget, so the budget is met on that text by construction.
 */
public final class NoiseBudget {

    /** The most the profile is scaled up when the budget allows more noise than the profile. */
    public static final double MAX_FACTOR = 4;

    /** Bisection steps after the bracket is found: the factor to 1/32 of the bracket. */
    public static final int DEFAULT_STEPS = 5;

    /**
     * What to meet and on what.
     *
     * @param budget  the largest accepted perplexity increase, as a fraction (0.1 = +10%)
     * @param tokens  public text (token ids of the plain vocabulary) the cost is measured on
     * @param context window length of the evaluation
     * @param steps   bisection steps
     * @param log     told each round and the result
     */
    public record Target(double budget, int[] tokens, int context, int steps, Consumer<String> log) {
        public Target {
            requireBudget(budget);
            if (tokens.length < 2)
                throw new IllegalArgumentException(
                        "the perplexity budget needs at least 2 tokens of text, got " + tokens.length);
            if (context < 2) throw new IllegalArgumentException("context must be at least 2, got " + context);
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
    }

    /** One round: the profile at {@code factor}, its perplexity increase and next-token agreement with the plain model. */
    public record Round(double factor, double perplexityIncrease, double agreement) {}

    /**
     * @param params the profile at the chosen factor: what to obfuscate with
     * @param chosen the chosen round (within the budget)
     */
    public record Result(
            AloePriParams params, Round chosen, double plainPerplexity, List<Round> rounds, double seconds) {

        public String summary(double budget) {
            return String.format(
                    Locale.ROOT,
                    "noise budget +%s%% perplexity: factor %.3f of the profile (alpha_e %.3g, alpha_h %.3g, alpha_down %.3g%s, alpha_gate_up %.3g): measured %+.2f%% perplexity, %.1f%% next-token agreement (%d rounds, %.0f s)",
                    trim(100 * budget),
                    chosen.factor(),
                    params.alphaE(),
                    params.alphaH(),
                    params.alphaDown(),
                    params.depthScaled() ? " depth-scaled" : "",
                    params.alphaGateUp(),
                    100 * chosen.perplexityIncrease(),
                    100 * chosen.agreement(),
                    rounds.size(),
                    seconds);
        }
    }

    private NoiseBudget() {}

    /** Refuses a budget (a fraction: 0.1 = +10%) that is not positive and finite, or above +1000%. */
    public static void requireBudget(double budget) {
        if (!(budget > 0) || !Double.isFinite(budget))
            throw new IllegalArgumentException(
                    "the perplexity budget must be a positive percentage (got " + 100 * budget + "%)");
        if (budget > 10)
            throw new IllegalArgumentException("a perplexity budget above +1000% (got " + 100 * budget
                    + "%) asks for an unusable model; give the percentage, e.g. 10 for +10%");
    }

    /**
     * The largest factor on {@code profile}'s noise whose obfuscation (with {@code master}, κ calibrated on
     * {@code calibrationTokens} ids, weights stored as {@code dtype}) costs at most {@code target.budget()}.
     *
     * @throws IllegalArgumentException when the profile has no noise to scale, or when even no noise costs more than the
     *                                  budget (the exact transforms' own κ error)
     */
    public static Result calibrate(
            ModelConfig config,
            Weights plain,
            AloePriParams profile,
            Collection<Integer> fixed,
            KeyStream master,
            DType dtype,
            int calibrationTokens,
            FfnActivations activations,
            Target target)
            throws IOException {
        if (profile.alphaE() == 0
                && profile.alphaH() == 0
                && profile.alphaDown() == 0
                && profile.alphaGateUp() == 0
                && profile.alphaRouter() == 0)
            throw new IllegalArgumentException(
                    "a perplexity budget scales the noise, and this profile has none (alpha_e, alpha_h, alpha_down,"
                            + " alpha_gate_up and alpha_router are all 0)");
        for (int id : target.tokens())
            if (id < 0 || id >= config.vocabSize())
                throw new IllegalArgumentException(
                        "budget text token id " + id + " is outside the model's vocabulary of " + config.vocabSize());
        long start = System.nanoTime();
        int context = Math.min(target.context(), target.tokens().length);
        NextTokenScores base = NextTokenScores.of(ObfuscationCost.engine(config, plain), target.tokens(), context);
        target.log()
                .accept(String.format(
                        Locale.ROOT,
                        "noise budget: plain perplexity %.3f over %d positions",
                        base.perplexity(),
                        base.positions()));
        List<Round> rounds = new ArrayList<>();
        Measure measure = f -> {
            ModelObfuscator o = ModelObfuscator.calibrated(
                    config, plain, profile.scaleNoise(f), fixed, master, dtype, calibrationTokens, activations);
            ObfuscationCost c = ObfuscationCost.measure(
                    base,
                    ObfuscationCost.engine(o.obfuscatedConfig(), InMemoryModel.obfuscate(o, plain)),
                    o.permutation(),
                    target.tokens(),
                    context);
            Round r = new Round(f, c.increase(), c.agreement());
            rounds.add(r);
            target.log()
                    .accept(String.format(
                            Locale.ROOT,
                            "noise budget: factor %.4f: perplexity %+.2f%%, agreement %.1f%%",
                            f,
                            100 * r.perplexityIncrease(),
                            100 * r.agreement()));
            return r;
        };
        double budget = target.budget();
        Round within = null, over = null;
        Round r = measure.at(1);
        if (r.perplexityIncrease() <= budget) {
            within = r;
            while (within.factor() < MAX_FACTOR) {
                r = measure.at(Math.min(MAX_FACTOR, 2 * within.factor()));
                if (r.perplexityIncrease() > budget) {
                    over = r;
                    break;
                }
                within = r;
            }
        } else over = r;
        if (over != null) {
            double lo = within == null ? 0 : within.factor();
            for (int i = 0; i < target.steps(); i++) {
                r = measure.at((lo + over.factor()) / 2);
                if (r.perplexityIncrease() <= budget) {
                    within = r;
                    lo = r.factor();
                } else over = r;
            }
        }
        if (within == null) {
            r = measure.at(0);
            if (r.perplexityIncrease() > budget)
                throw new IllegalArgumentException(String.format(
                        Locale.ROOT,
                        "the perplexity budget of +%s%% is below what the obfuscation costs with no noise at all"
                                + " (%+.2f%%: the kappa/RMSNorm error of the exact transforms); give a larger budget",
                        trim(100 * budget),
                        100 * r.perplexityIncrease()));
            within = r;
            target.log()
                    .accept(
                            "noise budget: no noise fits the budget; the checkpoint leaks what the exact transforms leak"
                                    + " (all of the text, aloepri/README.md)");
        }
        return new Result(
                profile.scaleNoise(within.factor()),
                within,
                base.perplexity(),
                List.copyOf(rounds),
                (System.nanoTime() - start) / 1e9);
    }

    private interface Measure {
        Round at(double factor) throws IOException;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
