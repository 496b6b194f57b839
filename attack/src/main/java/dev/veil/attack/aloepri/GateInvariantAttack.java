package dev.veil.attack.aloepri;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.RowSort;

/**
 * Gate IA (invariant attack, Lin et al. EMNLP'24): the mean of a token's gate pre-activations over the FFN units,
 * {@code avg(e·W_gate)}, ignores the FFN permutation and the key matrices, so each layer gives every token one number
 * that is the same in the plain and the obfuscated model (without embedding noise). Tokens are matched by nearest
 * neighbour over the per-layer numbers (each layer standardised).
 */
public final class GateInvariantAttack extends RankedAttack implements AloePriAttack {

    public GateInvariantAttack(int k) {
        super("gate IA: row means of embed·gate", TokenStream.ALL, k);
    }

    @Override
    public Outcome attack(AloePriTarget t, Progress progress) {
        int v = t.vocab(), layers = t.plain().config().numLayers();
        float[] plain = new float[v * layers], obf = new float[v * layers];
        for (int l = 0; l < layers; l++) {
            rowMeans(t.plain().gate(l), v, t.plain().ffnWidth(l), plain, l, layers);
            rowMeans(t.obfuscated().gate(l), v, t.obfuscated().ffnWidth(l), obf, l, layers);
            progress.step();
        }
        float[] d = RowSort.squaredDistances(
                Standardize.columns(obf, v, layers), v, Standardize.columns(plain, v, layers), v, layers);
        VocabMapping mapping = VocabMapping.nearest(d, v, k);
        return new Outcome(mapping.guesses(t.requests()), mapping);
    }

    private static void rowMeans(float[] m, int rows, int cols, float[] out, int col, int outCols) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += m[r * cols + c];
            out[r * outCols + col] = (float) (s / cols);
        }
    }
}
