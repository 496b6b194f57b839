package dev.veil.train.nn;

import static dev.veil.train.nn.GradCheck.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Each op's forward against a direct double-precision formula, and its backward against finite differences. */
class OpsGradientTest {
    private final Random rnd = new Random(42);

    @Test
    void linearWithBias() {
        int n = 5, in = 7, out = 37; // 4 + 1 rows, one 32-wide panel + 5 tail columns
        Var x = Var.variable(random(rnd, n * in, 1), n, in);
        Var w = Var.variable(random(rnd, out * in, 1), out, in);
        Var b = Var.variable(random(rnd, out, 1), out);
        float[] y = Linear.apply(Tape.inference(), x, w, b).value();
        for (int r = 0; r < n; r++)
            for (int o = 0; o < out; o++) {
                double s = b.value()[o];
                for (int i = 0; i < in; i++) s += (double) x.value()[r * in + i] * w.value()[o * in + i];
                assertThat((double) y[r * out + o]).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-5));
            }
        GradCheck.check(t -> Linear.apply(t, x, w, b), 1e-2, 2e-3, x, w, b);
    }

    @Test
    void linearWithoutBiasAndAFrozenWeight() {
        Var x = Var.variable(random(rnd, 3 * 4, 1), 3, 4);
        Var w = Var.constant(random(rnd, 6 * 4, 1), 6, 4);
        GradCheck.check(t -> Linear.apply(t, x, w, null), 1e-2, 2e-3, x);
        assertThatThrownBy(w::grad).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void embeddingScatterAddsRepeatedTokens() {
        Var table = Var.variable(random(rnd, 6 * 3, 1), 6, 3);
        int[] ids = {4, 1, 4, 0};
        Var e = Embedding.lookup(Tape.inference(), table, ids);
        assertThat(Arrays.copyOfRange(e.value(), 6, 9)).containsExactly(Arrays.copyOfRange(table.value(), 12, 15));
        GradCheck.check(t -> Embedding.lookup(t, table, ids), 1e-2, 1e-3, table);
        assertThatThrownBy(() -> Embedding.lookup(Tape.inference(), table, new int[] {6}))
                .hasMessageContaining("token id 6 at position 0 is outside the vocabulary of 6");
    }

    @Test
    void rmsNormWithAndWithoutWeight() {
        int n = 3, d = 20;
        Var x = Var.variable(random(rnd, n * d, 1), n, d);
        Var g = Var.variable(random(rnd, d, 1), d);
        float[] y = RmsNorm.apply(Tape.inference(), x, g, 1e-5f).value();
        double ms = 0;
        for (int i = 0; i < d; i++) ms += (double) x.value()[d + i] * x.value()[d + i];
        double rstd = 1 / Math.sqrt(ms / d + 1e-5);
        for (int i = 0; i < d; i++)
            assertThat((double) y[d + i])
                    .isCloseTo(x.value()[d + i] * rstd * g.value()[i], org.assertj.core.data.Offset.offset(1e-5));
        GradCheck.check(t -> RmsNorm.apply(t, x, g, 1e-5f), 1e-2, 2e-3, x, g);
        Var x2 = Var.variable(random(rnd, n * d, 1), n, d);
        GradCheck.check(t -> RmsNorm.apply(t, x2, null, 1e-5f), 1e-2, 2e-3, x2);
    }

    @Test
    void ropeRotatesHalvesByPositionAngles() {
        int seq = 3, heads = 2, hd = 8;
        RotaryEmbedding rope = new RotaryEmbedding(hd, 10000.0, 16);
        Var x = Var.variable(random(rnd, 2 * seq * heads * hd, 1), 2 * seq, heads * hd);
        float[] y = rope.apply(Tape.inference(), x, seq).value();
        // row 5 = second sequence, position 2; head 1, pair (i=1, i+4)
        int base = 5 * heads * hd + hd;
        double angle = 2 * Math.pow(10000.0, -2.0 / hd);
        double x1 = x.value()[base + 1], x2 = x.value()[base + 5];
        assertThat((double) y[base + 1])
                .isCloseTo(x1 * Math.cos(angle) - x2 * Math.sin(angle), org.assertj.core.data.Offset.offset(1e-6));
        assertThat((double) y[base + 5])
                .isCloseTo(x2 * Math.cos(angle) + x1 * Math.sin(angle), org.assertj.core.data.Offset.offset(1e-6));
        GradCheck.check(t -> rope.apply(t, x, seq), 1e-2, 1e-3, x);
    }

    @Test
    void causalGroupedQueryAttention() {
        int batch = 2, seq = 5, heads = 4, kvHeads = 2, hd = 8;
        Var q = Var.variable(random(rnd, batch * seq * heads * hd, 1), batch * seq, heads * hd);
        Var k = Var.variable(random(rnd, batch * seq * kvHeads * hd, 1), batch * seq, kvHeads * hd);
        Var v = Var.variable(random(rnd, batch * seq * kvHeads * hd, 1), batch * seq, kvHeads * hd);
        float[] out = CausalAttention.apply(Tape.inference(), q, k, v, batch, seq, heads, kvHeads, hd)
                .value();
        // reference for sequence 1, head 3 (kv head 1), position 3
        int b = 1, h = 3, kvh = 1, t = 3;
        double[] scores = new double[t + 1];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j <= t; j++) {
            for (int i = 0; i < hd; i++)
                scores[j] += (double) q.value()[(b * seq + t) * heads * hd + h * hd + i]
                        * k.value()[(b * seq + j) * kvHeads * hd + kvh * hd + i];
            scores[j] /= Math.sqrt(hd);
            max = Math.max(max, scores[j]);
        }
        for (int j = 0; j <= t; j++) sum += Math.exp(scores[j] - max);
        for (int i = 0; i < hd; i++) {
            double o = 0;
            for (int j = 0; j <= t; j++)
                o += Math.exp(scores[j] - max) / sum * v.value()[(b * seq + j) * kvHeads * hd + kvh * hd + i];
            assertThat((double) out[(b * seq + t) * heads * hd + h * hd + i])
                    .isCloseTo(o, org.assertj.core.data.Offset.offset(1e-5));
        }
        GradCheck.check(
                tape -> CausalAttention.apply(tape, q, k, v, batch, seq, heads, kvHeads, hd), 1e-2, 2e-3, q, k, v);
    }

    /** 70 positions: two blocks of query rows (the products skip keys past a block's last row). */
    @Test
    void attentionAcrossRowBlocks() {
        int batch = 1, seq = 70, heads = 2, kvHeads = 1, hd = 2;
        Var q = Var.variable(random(rnd, seq * heads * hd, 1), seq, heads * hd);
        Var k = Var.variable(random(rnd, seq * kvHeads * hd, 1), seq, kvHeads * hd);
        Var v = Var.variable(random(rnd, seq * kvHeads * hd, 1), seq, kvHeads * hd);
        float[] out = CausalAttention.apply(Tape.inference(), q, k, v, batch, seq, heads, kvHeads, hd)
                .value();
        for (int t : new int[] {0, 63, 64, 69})
            for (int h = 0; h < heads; h++) {
                double[] w = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j <= t; j++) {
                    for (int i = 0; i < hd; i++)
                        w[j] += (double) q.value()[t * heads * hd + h * hd + i] * k.value()[j * hd + i];
                    w[j] /= Math.sqrt(hd);
                    max = Math.max(max, w[j]);
                }
                for (int j = 0; j <= t; j++) sum += (w[j] = Math.exp(w[j] - max));
                for (int i = 0; i < hd; i++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++) o += w[j] / sum * v.value()[j * hd + i];
                    assertThat((double) out[t * heads * hd + h * hd + i])
                            .isCloseTo(o, org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        GradCheck.check(
                tape -> CausalAttention.apply(tape, q, k, v, batch, seq, heads, kvHeads, hd), 1e-2, 2e-3, q, k, v);
    }

    @Test
    void perHeadRmsNorm() {
        Var x = Var.variable(random(rnd, 3 * 12, 1), 3, 12);
        Var w = Var.variable(random(rnd, 4, 1), 4);
        float[] y = RmsNorm.perHead(Tape.inference(), x, w, 1e-6f, 4).value();
        double ms = 0; // row 1, head 2
        for (int i = 0; i < 4; i++) ms += Math.pow(x.value()[12 + 8 + i], 2) / 4;
        assertThat((double) y[12 + 8 + 1])
                .isCloseTo(
                        x.value()[12 + 8 + 1] / Math.sqrt(ms + 1e-6) * w.value()[1],
                        org.assertj.core.data.Offset.offset(1e-5));
        GradCheck.check(t -> RmsNorm.perHead(t, x, w, 1e-6f, 4), 1e-2, 2e-3, x, w);
    }

    @Test
    void swiGluAddMse() {
        Var g = Var.variable(random(rnd, 24, 2), 3, 8);
        Var u = Var.variable(random(rnd, 24, 1), 3, 8);
        float[] y = SwiGlu.apply(Tape.inference(), g, u).value();
        double g5 = g.value()[5];
        assertThat((double) y[5])
                .isCloseTo(g5 / (1 + Math.exp(-g5)) * u.value()[5], org.assertj.core.data.Offset.offset(1e-6));
        GradCheck.check(t -> SwiGlu.apply(t, g, u), 1e-2, 2e-3, g, u);
        GradCheck.check(t -> Add.apply(t, g, u), 1e-2, 1e-3, g, u);
        GradCheck.check(t -> Mse.mean(t, g, u), 1e-2, 1e-3, g, u);
    }

    @Test
    void crossEntropyIgnoresNegativeTargets() {
        int n = 4, vocab = 37;
        Var logits = Var.variable(random(rnd, n * vocab, 2), n, vocab);
        int[] targets = {3, -1, 36, 0};
        float loss = CrossEntropy.mean(Tape.inference(), logits, targets).item();
        double expected = 0;
        for (int r : new int[] {0, 2, 3}) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits.value()[r * vocab + j]);
            for (int j = 0; j < vocab; j++) sum += Math.exp(logits.value()[r * vocab + j] - max);
            expected += max + Math.log(sum) - logits.value()[r * vocab + targets[r]];
        }
        assertThat((double) loss).isCloseTo(expected / 3, org.assertj.core.data.Offset.offset(1e-5));
        GradCheck.check(t -> CrossEntropy.mean(t, logits, targets), 1e-2, 2e-3, logits);
        assertThat(Arrays.copyOfRange(logits.grad(), vocab, 2 * vocab)).containsOnly(0f);
    }

    @Test
    void aTapeRunsBackwardOnce() {
        Var x = Var.variable(new float[] {1, 2}, 2);
        Tape t = new Tape();
        Var y = Mse.mean(t, x, Var.constant(new float[] {0, 0}, 2));
        t.backward(y);
        assertThat(x.grad()).containsExactly(1f, 2f);
        assertThatThrownBy(() -> t.backward(y)).isInstanceOf(IllegalStateException.class);
    }
}
