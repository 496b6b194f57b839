package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {

    /** Logits whose softmax is exactly {@code probs} (up to rounding). */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < l.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    private static final float[] FOUR = logitsOf(0.1, 0.4, 0.2, 0.3);

    private static Sampler.Candidates dist(float[] logits, double t, int k, double p) {
        return Sampler.distribution(logits, new SamplingParams(t, k, p, 0));
    }

    @Test
    void greedyTakesTheLargestLogitAndTheLowestIdOnTies() {
        assertThat(Sampler.argmax(new float[] {0.1f, 3, -1, 3})).isEqualTo(1);
        Sampler s = new Sampler(SamplingParams.GREEDY);
        assertThat(s.sample(FOUR)).isEqualTo(1);
        assertThat(s.sample(new float[] {-5, -4, -4.5f})).isEqualTo(1);
    }

    @Test
    void topKKeepsTheKMostLikelyRenormalised() {
        Sampler.Candidates c = dist(FOUR, 1, 2, 1);
        assertThat(c.ids()).containsExactly(1, 3);
        assertThat(c.probs()[0]).isCloseTo(0.4 / 0.7, within(1e-6));
        assertThat(c.probs()[1]).isCloseTo(0.3 / 0.7, within(1e-6));
        assertThat(dist(FOUR, 1, 10, 1).ids()).containsExactly(1, 3, 2, 0);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        assertThat(dist(FOUR, 1, 0, 0.35).ids()).containsExactly(1);
        assertThat(dist(FOUR, 1, 0, 0.6).ids()).containsExactly(1, 3);
        Sampler.Candidates c = dist(FOUR, 1, 0, 0.75);
        assertThat(c.ids()).containsExactly(1, 3, 2);
        assertThat(c.probs()).containsExactly(new double[] {0.4 / 0.9, 0.3 / 0.9, 0.2 / 0.9}, within(1e-6));
        assertThat(dist(FOUR, 1, 0, 1).ids()).containsExactlyInAnyOrder(0, 1, 2, 3);
    }

    /** Hugging Face order: top-k first, then top-p relative to what top-k kept. */
    @Test
    void topPAppliesWithinTheTopKSet() {
        assertThat(dist(FOUR, 1, 3, 0.8).ids()).containsExactly(1, 3, 2); // 0.4/0.9 + 0.3/0.9 = 0.78 < 0.8
        assertThat(dist(FOUR, 1, 3, 0.7).ids()).containsExactly(1, 3); // 0.78 >= 0.7
    }

    @Test
    void temperatureSharpensOrFlattens() {
        Sampler.Candidates hot = dist(FOUR, 2, 0, 1);
        double z = Math.sqrt(0.1) + Math.sqrt(0.4) + Math.sqrt(0.2) + Math.sqrt(0.3);
        double[] byId = new double[4];
        for (int i = 0; i < 4; i++) byId[hot.ids()[i]] = hot.probs()[i];
        assertThat(byId)
                .containsExactly(
                        new double[] {Math.sqrt(0.1) / z, Math.sqrt(0.4) / z, Math.sqrt(0.2) / z, Math.sqrt(0.3) / z},
                        within(1e-6));
        Sampler.Candidates cold = dist(FOUR, 0.01, 0, 0.99);
        assertThat(cold.ids()).containsExactly(1);
    }

    @Test
    void tiesAreOrderedByTokenId() {
        float[] flat = {1, 2, 2, 2, 0};
        assertThat(dist(flat, 1, 2, 1).ids()).containsExactly(1, 2);
        assertThat(dist(flat, 1, 0, 0.5).ids()).containsExactly(1, 2);
    }

    /** On a large random vocabulary the thresholded selection gives exactly what a full sort gives. */
    @Test
    void largeVocabularySelectionEqualsFullSort() {
        SplittableRandom r = new SplittableRandom(3);
        float[] logits = new float[50_000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (3 * r.nextGaussian());
        for (double p : new double[] {0.1, 0.5, 0.9, 0.999}) {
            double[] probs = new double[logits.length];
            double
                    max =
                            IntStream.range(0, logits.length)
                                    .mapToDouble(i -> logits[i])
                                    .max()
                                    .orElseThrow(),
                    sum = 0;
            for (int i = 0; i < probs.length; i++) sum += probs[i] = Math.exp((logits[i] - max) / 0.8);
            for (int i = 0; i < probs.length; i++) probs[i] /= sum;
            Integer[] order = IntStream.range(0, probs.length).boxed().toArray(Integer[]::new);
            Arrays.sort(
                    order,
                    Comparator.comparingDouble((Integer i) -> -(float) probs[i]).thenComparingInt(i -> i));
            int count = 0;
            double cumulative = 0;
            while (cumulative < p) cumulative += probs[order[count++]];
            int[] expected =
                    Arrays.stream(order, 0, count).mapToInt(Integer::intValue).toArray();
            assertThat(dist(logits, 0.8, 0, p).ids()).as("top-p %s", p).containsExactly(expected);
            int[] top100 =
                    Arrays.stream(order, 0, 100).mapToInt(Integer::intValue).toArray();
            assertThat(dist(logits, 0.8, 100, 1).ids()).containsExactly(top100);
        }
    }

    /** Draw frequencies follow the distribution (a fixed seed, so this is exact, not flaky). */
    @Test
    void drawsFollowTheDistribution() {
        Sampler s = new Sampler(new SamplingParams(1, 0, 1, 2024));
        int[] counts = new int[4];
        for (int i = 0; i < 20_000; i++) counts[s.sample(FOUR)]++;
        double[] expected = {0.1, 0.4, 0.2, 0.3};
        for (int i = 0; i < 4; i++)
            assertThat(counts[i] / 20_000.0).as("token %d", i).isCloseTo(expected[i], within(0.015));
        Sampler topK = new Sampler(new SamplingParams(1, 2, 1, 7));
        for (int i = 0; i < 1000; i++) assertThat(topK.sample(FOUR)).isIn(1, 3);
    }

    @Test
    void aSeedDeterminesTheSequence() {
        float[] logits = new float[1000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i);
        SamplingParams params = new SamplingParams(0.9, 50, 0.95, 99);
        Sampler a = new Sampler(params),
                b = new Sampler(params),
                other = new Sampler(new SamplingParams(0.9, 50, 0.95, 100));
        int[] sa = IntStream.range(0, 200).map(i -> a.sample(logits)).toArray();
        int[] sb = IntStream.range(0, 200).map(i -> b.sample(logits)).toArray();
        int[] so = IntStream.range(0, 200).map(i -> other.sample(logits)).toArray();
        assertThat(sa).containsExactly(sb);
        assertThat(sa).isNotEqualTo(so);
    }

    @Test
    void badParametersFailClearly() {
        assertThatThrownBy(() -> new SamplingParams(-1, 0, 1, 0))
                .hasMessage("temperature must be a finite number >= 0, got -1.0");
        assertThatThrownBy(() -> new SamplingParams(1, -2, 1, 0)).hasMessage("top_k must be >= 0 (0 = off), got -2");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 0, 0)).hasMessage("top_p must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1.5, 0)).hasMessage("top_p must be in (0, 1], got 1.5");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1, 0).withMinP(1.5))
                .hasMessage("min_p must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> GREEDY.withPenalties(0, 0, 0))
                .hasMessage("repetition_penalty must be a finite number > 0, got 0.0");
        assertThatThrownBy(() -> GREEDY.withPenalties(1, 2.5, 0))
                .hasMessage("presence_penalty must be in [-2, 2], got 2.5");
        assertThatThrownBy(() -> GREEDY.withPenalties(1, 0, -3))
                .hasMessage("frequency_penalty must be in [-2, 2], got -3.0");
    }

    private static final SamplingParams GREEDY = SamplingParams.GREEDY;

    /** Hugging Face / vLLM: over prompt and output ids, positive logits divided, negative ones multiplied. */
    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfPromptAndOutputIds() {
        float[] logits = {2, -1, 1.5f, -0.5f, 3};
        Sampler s = new Sampler(GREEDY.withPenalties(2, 0, 0), new int[] {0, 2, 3});
        assertThat(s.penalize(logits)).containsExactly(1, -1, 0.75f, -1, 3);
        assertThat(logits).containsExactly(2, -1, 1.5f, -0.5f, 3); // the caller's row is left alone
        assertThat(s.sample(logits)).isEqualTo(4);
        assertThat(s.penalize(logits)).containsExactly(1, -1, 0.75f, -1, 1.5f); // the pick is now in the output
        assertThat(s.sample(logits)).isEqualTo(4); // 1.5 still leads; a repeat counts once
        assertThat(s.penalize(logits)).containsExactly(1, -1, 0.75f, -1, 1.5f);
    }

    /** OpenAI: frequency_penalty per earlier occurrence in the output, presence_penalty once; prompt ids are exempt. */
    @Test
    void frequencyAndPresencePenaltiesCountOutputTokensOnly() {
        float[] logits = {1, 0.5f, 0, 2};
        Sampler s = new Sampler(GREEDY.withPenalties(1, 0.5, 0.25), new int[] {3, 3, 1});
        assertThat(s.penalize(logits)).containsExactly(1, 0.5f, 0, 2);
        assertThat(s.sample(logits)).isEqualTo(3);
        assertThat(s.penalize(logits)).containsExactly(1, 0.5f, 0, 1.25f); // 2 - 0.25 × 1 - 0.5
        assertThat(s.sample(logits)).isEqualTo(3);
        assertThat(s.penalize(logits)).containsExactly(1, 0.5f, 0, 1); // 2 - 0.25 × 2 - 0.5: ties with id 0
        assertThat(s.sample(logits)).isEqualTo(0);
        assertThat(s.penalize(logits)).containsExactly(0.25f, 0.5f, 0, 1);
        assertThat(s.sample(logits)).isEqualTo(3);

        Sampler encourage = new Sampler(GREEDY.withPenalties(1, -0.5, -0.25), new int[0]);
        assertThat(encourage.sample(new float[] {1, 0.5f})).isEqualTo(0);
        assertThat(encourage.penalize(new float[] {1, 0.5f})).containsExactly(1.75f, 0.5f);
    }

    /** vLLM's order: the repetition penalty first, then frequency, then presence (the other order gives 0.625). */
    @Test
    void penaltiesApplyInVllmsOrder() {
        Sampler s = new Sampler(GREEDY.withPenalties(2, 0.5, 0.25), new int[] {1});
        float[] first = {4, -1, 0};
        assertThat(s.sample(first)).isEqualTo(0);
        assertThat(s.penalize(first)).containsExactly(1.25f, -2, 0); // 4 / 2 - 0.25 - 0.5; -1 × 2 (prompt only)
        assertThat(s.sample(new float[] {0, -1, 0.5f})).isEqualTo(2);
        assertThat(s.sample(new float[] {0, -1, 5})).isEqualTo(2);
        assertThat(s.penalize(new float[] {2, -1, -1})).containsExactly(0.25f, -2, -3); // -1 × 2 - 0.25 × 2 - 0.5
    }

    /** Sampling (not only greedy) draws from the penalised logits. */
    @Test
    void sampledPicksSeeThePenalties() {
        Sampler s = new Sampler(new SamplingParams(1, 0, 1, 5).withPenalties(1, 2, 2), new int[0]);
        assertThat(s.sample(new float[] {30, 0})).isEqualTo(0);
        for (int i = 0; i < 10; i++) assertThat(s.sample(new float[] {0, 30})).isEqualTo(1); // 0 lies at -4
        assertThat(s.penalize(new float[] {30, 0})).containsExactly(26, -22); // 0 - 2 × 10 - 2
        assertThat(s.sample(new float[] {0, 4})).isEqualTo(0); // -4 against -18
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheTopProbability() {
        SamplingParams plain = new SamplingParams(1, 0, 1, 0);
        assertThat(Sampler.distribution(FOUR, plain.withMinP(0.6)).ids()).containsExactlyInAnyOrder(1, 3); // floor 0.24
        Sampler.Candidates c = Sampler.distribution(FOUR, plain.withMinP(0.3)); // floor 0.12
        assertThat(c.ids()).containsExactlyInAnyOrder(1, 2, 3);
        double[] byId = new double[4];
        for (int i = 0; i < c.ids().length; i++) byId[c.ids()[i]] = c.probs()[i];
        assertThat(byId).containsExactly(new double[] {0, 0.4 / 0.9, 0.2 / 0.9, 0.3 / 0.9}, within(1e-6));
        assertThat(Sampler.distribution(FOUR, plain.withMinP(1)).ids()).containsExactly(1);
        assertThat(Sampler.distribution(FOUR, plain.withMinP(0)).ids()).containsExactlyInAnyOrder(0, 1, 2, 3);
        Sampler s = new Sampler(new SamplingParams(1, 0, 1, 11).withMinP(0.6));
        for (int i = 0; i < 500; i++) assertThat(s.sample(FOUR)).isIn(1, 3);
    }

    /** vLLM's order: temperature before min-p, min-p before top-k and top-p (top-p relative to what min-p kept). */
    @Test
    void minPComesAfterTemperatureAndBeforeTopKAndTopP() {
        // T = 2: probabilities ∝ sqrt(p), id 0's ratio to the top is sqrt(0.1 / 0.4) = 0.5 < 0.6 < sqrt(0.2 / 0.4)
        assertThat(Sampler.distribution(FOUR, new SamplingParams(2, 0, 1, 0, 0.6, 1, 0, 0))
                        .ids())
                .containsExactlyInAnyOrder(1, 2, 3);
        // top-p 0.75 of what min-p 0.3 kept (0.9): 0.4 + 0.3 = 0.7 >= 0.675; of the whole vocabulary it takes 1, 3, 2
        assertThat(Sampler.distribution(FOUR, new SamplingParams(1, 0, 0.75, 0, 0.3, 1, 0, 0))
                        .ids())
                .containsExactly(1, 3);
        assertThat(dist(FOUR, 1, 0, 0.75).ids()).containsExactly(1, 3, 2);
        assertThat(Sampler.distribution(FOUR, new SamplingParams(1, 3, 1, 0, 0.6, 1, 0, 0))
                        .ids())
                .containsExactly(1, 3);
        Sampler.Candidates c = Sampler.distribution(FOUR, new SamplingParams(1, 3, 0.5, 0, 0.3, 1, 0, 0));
        assertThat(c.ids()).containsExactly(1, 3); // top-k 3 keeps 1, 3, 2 (0.9); top-p 0.5 of that needs 0.45
        assertThat(c.probs()).containsExactly(new double[] {0.4 / 0.7, 0.3 / 0.7}, within(1e-6));
    }

    @Test
    void withoutPenaltiesTheLogitsPassUntouched() {
        float[] logits = {1, 2};
        Sampler s = new Sampler(new SamplingParams(0.7, 0, 1, 0).withMinP(0.1), new int[] {0, 1});
        assertThat(s.penalize(logits)).isSameAs(logits);
    }
}
