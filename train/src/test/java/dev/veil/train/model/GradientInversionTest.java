package dev.veil.train.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.ModelConfig;
import dev.veil.train.nn.Mse;
import dev.veil.train.nn.Tape;
import dev.veil.train.nn.Var;
import dev.veil.train.optim.AdamW;
import dev.veil.train.optim.LrSchedule;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The gradient machinery used the way an attack uses it: with the model frozen, recover the input embeddings (and
 * so the tokens) behind an observed hidden state by gradient descent on the distance between hidden states.
 */
class GradientInversionTest {

    @Test
    void recoversTheTokensBehindALayerOneHiddenState() {
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.QWEN2, 40, 16, 32, 2, 4, 2, 4)
                .withNorm(1e-6, 10000.0, null)
                .withTokens(32, true, true, 0, List.of(0));
        Transformer model = Transformer.initialize(c, 11);
        Random rnd = new Random(12);
        // random weights, small enough that each block stays close to the identity (as trained residual blocks are)
        for (Parameter p : model.parameters()) {
            if (p.name().endsWith("norm.weight")) continue;
            float[] v = p.value();
            for (int i = 0; i < v.length; i++)
                v[i] = (float) (rnd.nextGaussian() * (p.name().contains("embed") ? 1.0 : 0.15));
        }
        model.setTrainable(false);
        int seq = 6;
        int[] secret = {5, 17, 3, 33, 17, 28};
        Var observed = model.blocks(Tape.inference(), model.embed(Tape.inference(), secret), 1, seq, 0, 1);

        float[] guess = new float[seq * c.hiddenSize()];
        for (int i = 0; i < guess.length; i++) guess[i] = (float) (rnd.nextGaussian() * 0.1);
        Parameter x = new Parameter("inputs_embeds", new int[] {seq, c.hiddenSize()}, guess, false);
        AdamW adam = new AdamW(List.of(x), new AdamW.Settings(0.9, 0.99, 1e-8, 0));
        LrSchedule lr = new LrSchedule(0.05, 0.0005, 0, 800);
        float loss = Float.NaN;
        for (int step = 0; step < 800; step++) {
            x.zeroGrad();
            Tape tape = new Tape();
            Var l = Mse.mean(
                    tape, model.blocks(tape, x.var(), 1, seq, 0, 1), Var.constant(observed.value(), observed.shape()));
            tape.backward(l);
            adam.step(lr.at(step));
            loss = l.item();
        }
        assertThat(loss).isLessThan(1e-6f);
        assertThat(model.parameter("model.layers.0.self_attn.q_proj.weight").grad())
                .containsOnly(0f);

        float[] table = model.parameter("model.embed_tokens.weight").value();
        int[] recovered = new int[seq];
        for (int t = 0; t < seq; t++) {
            double best = Double.MAX_VALUE;
            for (int id = 0; id < c.vocabSize(); id++) {
                double d = 0;
                for (int i = 0; i < c.hiddenSize(); i++) {
                    double diff = guess[t * c.hiddenSize() + i] - table[id * c.hiddenSize() + i];
                    d += diff * diff;
                }
                if (d < best) {
                    best = d;
                    recovered[t] = id;
                }
            }
        }
        assertThat(recovered).containsExactly(secret);
    }
}
