package dev.veil.attack.aloepri;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.RowSort;
import dev.veil.attack.math.TopK;
import java.util.Arrays;

/**
 * Attention IA: AloePri transforms each RoPE 2-dimensional block of a query head by an invertible 2×2 map (rotation R
 * times scale H) and moves blocks and heads around (block and head permutations). The leverage of a token within a
 * block, {@code x (XᵀX)⁻¹ xᵀ} for the block's columns X of {@code E·Wqᵀ}, ignores any invertible 2×2 map and any
 * row permutation, so each block gives every token one invariant number. The attacker first pairs each obfuscated
 * block with the plain block whose sorted leverages look the same, then matches tokens by nearest neighbour over all
 * blocks of all layers.
 */
public final class AttentionInvariantAttack extends RankedAttack implements AloePriAttack {

    private static final int QUANTILES = 64;

    public AttentionInvariantAttack(int k) {
        super("attention IA: per-block leverage of embed·Wq", TokenStream.ALL, k);
    }

    @Override
    public Outcome attack(AloePriTarget t, Progress progress) {
        var c = t.plain().config();
        int v = t.vocab(), blocks = c.numHeads() * c.headDim() / 2, layers = c.numLayers();
        int width = blocks * layers;
        float[] plainAll = new float[v * width], obfAll = new float[v * width];
        for (int l = 0; l < layers; l++) {
            float[] plain = leverages(t.plain().queries(l), v, c.numHeads(), c.headDim());
            float[] obf = leverages(t.obfuscated().queries(l), v, c.numHeads(), c.headDim());
            // pair each obfuscated block with the plain block of the most similar leverage distribution
            float[] d = RowSort.squaredDistances(
                    RowSort.columnFeatures(obf, v, blocks, QUANTILES),
                    blocks,
                    RowSort.columnFeatures(plain, v, blocks, QUANTILES),
                    blocks,
                    QUANTILES);
            for (int b = 0; b < blocks; b++) {
                int match = TopK.smallest(Arrays.copyOfRange(d, b * blocks, (b + 1) * blocks), 1)[0];
                for (int r = 0; r < v; r++) {
                    obfAll[r * width + l * blocks + b] = obf[r * blocks + b];
                    plainAll[r * width + l * blocks + b] = plain[r * blocks + match];
                }
            }
            progress.step();
        }
        float[] dist = RowSort.squaredDistances(logLeverage(obfAll), v, logLeverage(plainAll), v, width);
        VocabMapping mapping = VocabMapping.nearest(dist, v, k);
        return new Outcome(mapping.guesses(t.requests()), mapping);
    }

    /** {@code [V × heads·hd/2]}: each token's leverage in each 2-column RoPE block (HF pairing: j with j + hd/2). */
    static float[] leverages(float[] q, int v, int heads, int hd) {
        int half = hd / 2, blocks = heads * half, width = heads * hd;
        float[] out = new float[v * blocks];
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < half; j++) {
                int a = h * hd + j, b = a + half;
                double saa = 0, sab = 0, sbb = 0;
                for (int r = 0; r < v; r++) {
                    double x = q[r * width + a], y = q[r * width + b];
                    saa += x * x;
                    sab += x * y;
                    sbb += y * y;
                }
                double det = saa * sbb - sab * sab;
                for (int r = 0; r < v; r++) {
                    double x = q[r * width + a], y = q[r * width + b];
                    out[r * blocks + h * half + j] =
                            det > 0 ? (float) ((x * x * sbb - 2 * x * y * sab + y * y * saa) / det) : 0f;
                }
            }
        return out;
    }

    /** Leverages span orders of magnitude: compare their logarithms. */
    private static float[] logLeverage(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) Math.log(x[i] + 1e-12);
        return out;
    }
}
