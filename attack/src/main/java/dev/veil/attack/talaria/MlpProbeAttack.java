package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.RowMajor;
import dev.veil.attack.math.TopK;
import dev.veil.attack.metrics.Guesses;
import dev.veil.train.model.Parameter;
import dev.veil.train.nn.CrossEntropy;
import dev.veil.train.nn.Linear;
import dev.veil.train.nn.SwiGlu;
import dev.veil.train.nn.Tape;
import dev.veil.train.nn.Var;
import dev.veil.train.optim.AdamW;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A4 without the linearity: a classifier from a masked first-layer row straight to its token — a SwiGLU MLP trained
 * with Veil's own tape on the attacker's public text, each batch masked afresh from the public mask distribution (the
 * attacker knows the setting, not the masks). Where the ridge probe regresses the clean row and then looks for the
 * nearest embedding, this one learns the decision itself, prior over tokens included, so it is the stronger of the
 * two whenever the masked rows still carry a little signal.
 */
public final class MlpProbeAttack extends RankedAttack implements TalariaAttack {

    private static final int BATCH = 256;

    private final int[] publicTokens;
    private final int hidden, steps;
    private final long seed;

    /**
     * @param publicTokens the attacker's public text, tokenized (its training rows)
     * @param hidden       width of the MLP's hidden layer
     * @param steps        AdamW steps of {@value #BATCH} rows
     */
    public MlpProbeAttack(int[] publicTokens, int hidden, int steps, int k, long seed) {
        if (publicTokens.length == 0) throw new IllegalArgumentException("the MLP probe needs public text to train on");
        super("learned MLP probe (SwiGLU classifier) on layer-0 rows", TokenStream.PROCESSED, k);
        this.publicTokens = publicTokens.clone();
        this.hidden = hidden;
        this.steps = steps;
        this.seed = seed;
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int d = t.config().hiddenSize(), vocab = t.config().vocabSize();
        float[] candidates = t.firstLayerCandidates();
        MaskModel masks = new MaskModel(t.hiddenMask(), t.maskScale());
        // masked rows have rms ~ σ: scale them back to ~1 so one learning rate fits every setting
        float inputScale = (float) (1
                / Math.sqrt(1 + Math.pow(t.hiddenMask().equals("none") ? 0 : t.maskScale() * Math.sqrt(d), 2)));
        Random rnd = new Random(seed);
        Parameter gate = parameter("gate", hidden, d, rnd),
                up = parameter("up", hidden, d, rnd),
                out = parameter("out", vocab, hidden, rnd);
        Parameter bias = new Parameter("bias", new int[] {vocab}, new float[vocab], false);
        List<Parameter> params = List.of(gate, up, out, bias);
        AdamW adam = new AdamW(params, new AdamW.Settings(0.9, 0.999, 1e-8, 0.0));
        int[] targets = new int[BATCH];
        for (int step = 0; step < steps; step++) {
            for (int i = 0; i < BATCH; i++) targets[i] = publicTokens[rnd.nextInt(publicTokens.length)];
            float[] x = RowMajor.gatherRows(candidates, d, targets);
            masks.apply(x, BATCH, d, rnd);
            for (int i = 0; i < x.length; i++) x[i] *= inputScale;
            params.forEach(Parameter::zeroGrad);
            Tape tape = new Tape();
            Var loss = CrossEntropy.mean(tape, logits(tape, Var.constant(x, BATCH, d), gate, up, out, bias), targets);
            tape.backward(loss);
            adam.step(3e-3 * Math.min(1, 2.0 * (steps - step) / steps)); // flat, then linear decay over the last half
        }
        return t.eachRequest(progress, r -> {
            float[] z = t.in(r, TalariaTarget.FIRST_LAYER).data().clone();
            int n = z.length / d;
            for (int i = 0; i < z.length; i++) z[i] *= inputScale;
            float[] l = logits(Tape.inference(), Var.constant(z, n, d), gate, up, out, bias)
                    .value();
            int[][] ranked = new int[n][];
            for (int i = 0; i < n; i++) ranked[i] = TopK.largest(Arrays.copyOfRange(l, i * vocab, (i + 1) * vocab), k);
            return new Guesses(ranked);
        });
    }

    private static Var logits(Tape tape, Var x, Parameter gate, Parameter up, Parameter out, Parameter bias) {
        Var h = SwiGlu.apply(tape, Linear.apply(tape, x, gate.var(), null), Linear.apply(tape, x, up.var(), null));
        return Linear.apply(tape, h, out.var(), bias.var());
    }

    private static Parameter parameter(String name, int rows, int cols, Random rnd) {
        float[] w = new float[rows * cols];
        double std = 1 / Math.sqrt(cols);
        for (int i = 0; i < w.length; i++) w[i] = (float) (std * rnd.nextGaussian());
        return new Parameter(name, new int[] {rows, cols}, w, true);
    }
}
