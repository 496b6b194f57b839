package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PerplexityTest {

    /** Windows of the context length, each from an empty cache, against the reference's NLL computed the same way. */
    @Test
    void meanNllOverWindowsMatchesTheReference() {
        ModelConfig c = TestModels.llama();
        Weights w = TestModels.random(c, DType.F32, 17);
        int[] tokens = new SplittableRandom(4).ints(150, 0, c.vocabSize()).toArray();
        int window = 70; // windows 0..69, 70..139, 140..149; chunks of 64 inside
        try (Parallel p = new Parallel(2)) {
            Perplexity.Result r =
                    Perplexity.evaluate(new Transformer(new LocalLinearBackend(c, w, p), p), tokens, window);
            double nll = 0;
            int scored = 0;
            for (int start = 0; start < tokens.length; start += window) {
                ReferenceModel ref = new ReferenceModel(c, w);
                for (int i = start; i < Math.min(tokens.length, start + window) - 1; i++) {
                    double[] logits = ref.step(tokens[i]);
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (double l : logits) max = Math.max(max, l);
                    for (double l : logits) sum += Math.exp(l - max);
                    nll += Math.log(sum) + max - logits[tokens[i + 1]];
                    scored++;
                }
            }
            assertThat(r.tokens()).isEqualTo(scored).isEqualTo(69 + 69 + 9);
            assertThat(r.meanNll()).isCloseTo(nll / scored, within(1e-5));
            assertThat(r.perplexity()).isCloseTo(Math.exp(nll / scored), within(1e-3));
            // a random model is about as unsure as uniform over the vocabulary, not wildly off
            assertThat(r.perplexity()).isBetween(c.vocabSize() / 10.0, c.vocabSize() * 10.0);
        }
    }

    @Test
    void rejectsTooShortInput() {
        ModelConfig c = TestModels.mha();
        Transformer t =
                new Transformer(new LocalLinearBackend(c, TestModels.random(c, DType.F32, 1), Parallel.shared()));
        assertThatThrownBy(() -> Perplexity.evaluate(t, new int[] {1}, 16))
                .hasMessage("perplexity needs at least 2 tokens, got 1");
        assertThatThrownBy(() -> Perplexity.evaluate(t, new int[] {1, 2}, 1))
                .hasMessage("context length must be at least 2, got 1");
    }
}
