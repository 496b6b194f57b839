package dev.veil.engine;

/**
 * How to pick the next token from the logits.
 *
 * @param temperature 0 for greedy (argmax); otherwise logits are divided by it before the softmax
 * @param topK        keep only the {@code topK} most likely tokens; 0 keeps all
 * @param topP        keep the smallest set of most likely tokens whose probability reaches {@code topP}; 1 keeps all
 * @param seed        the random generator's seed: equal seeds give equal samples
 */
public record SamplingParams(double temperature, int topK, double topP, long seed) {

    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 0);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
