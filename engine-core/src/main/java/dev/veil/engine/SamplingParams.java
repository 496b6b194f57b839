package dev.veil.engine;

/**
 * How to pick the next token from the logits, in vLLM's terms (the ranges are vLLM's too).
 *
 * @param temperature       0 for greedy (argmax); otherwise logits are divided by it before the softmax
 * @param topK              keep only the {@code topK} most likely tokens; 0 keeps all
 * @param topP              keep the smallest set of most likely tokens whose probability reaches {@code topP}; 1 keeps all
 * @param seed              the random generator's seed: equal seeds give equal samples
 * @param minP              drop tokens whose probability is below {@code minP} × the most likely token's; 0 keeps all
 * @param repetitionPenalty Hugging Face / vLLM: a token already in the prompt or the output has its logit divided by
 *                          this if positive, multiplied if negative; 1 is off, &gt; 1 discourages repeats
 * @param presencePenalty   OpenAI: subtracted from the logit of every token the output already holds; 0 is off
 * @param frequencyPenalty  OpenAI: subtracted once per earlier occurrence in the output; 0 is off
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        long seed,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty) {

    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 0);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty))
            throw new IllegalArgumentException(
                    "repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
        if (!(presencePenalty >= -2 && presencePenalty <= 2))
            throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty);
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2))
            throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
    }

    /** Temperature, top-k, top-p and seed; no min-p, no penalties. */
    public SamplingParams(double temperature, int topK, double topP, long seed) {
        this(temperature, topK, topP, seed, 0, 1, 0, 0);
    }

    /** These settings with the three penalties replaced. */
    public SamplingParams withPenalties(double repetition, double presence, double frequency) {
        return new SamplingParams(temperature, topK, topP, seed, minP, repetition, presence, frequency);
    }

    public SamplingParams withMinP(double minP) {
        return new SamplingParams(
                temperature, topK, topP, seed, minP, repetitionPenalty, presencePenalty, frequencyPenalty);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    /** Whether any penalty is on: only then does a sampler need the prompt and its own earlier picks. */
    public boolean penalized() {
        return repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0;
    }
}
