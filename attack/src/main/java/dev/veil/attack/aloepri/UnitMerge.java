package dev.veil.attack.aloepri;

import dev.veil.attack.math.RowMajor;
import dev.veil.model.DType;
import dev.veil.model.InMemoryWeights;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The attacker's answer to the FFN unit split ({@code AloePriParams.split}): the parts of a plain unit share its gate
 * row exactly (SiLU is not linear, so the split cannot change it), and their up rows are proportional. Grouping the
 * obfuscated units by identical gate rows, and summing each group's down columns weighted by its up rows' ratios to
 * the first, gives back the unsplit layer up to a positive scale per unit — which the attacks' column standardisation
 * cancels. The shapes are public, so the attacker knows to do this whenever the served d_ff is a multiple of the
 * public one.
 */
public final class UnitMerge {

    private UnitMerge() {}

    /** A served model with its FFN units merged back to {@code plainFfn} per layer (the model itself when nothing is split). */
    public record Merged(ModelConfig config, Weights weights, int groups) {}

    public static Merged merge(ModelConfig c, Weights w, int plainFfn) {
        int f = c.intermediateSize(), d = c.hiddenSize();
        if (f == plainFfn) return new Merged(c, w, plainFfn);
        InMemoryWeights out = new InMemoryWeights();
        for (String n : w.names()) if (!n.contains(".mlp.")) out.write(w.get(n));
        int groupsSeen = -1;
        for (int l = 0; l < c.numLayers(); l++) {
            float[] gate = RowMajor.matrix(w, ModelConfig.layer(l, "mlp.gate_proj.weight"), f, d);
            float[] up = RowMajor.matrix(w, ModelConfig.layer(l, "mlp.up_proj.weight"), f, d);
            float[] down = RowMajor.matrix(w, ModelConfig.layer(l, "mlp.down_proj.weight"), d, f);
            List<int[]> groups = groups(gate, f, d);
            int g = groups.size();
            groupsSeen = g;
            float[] mg = new float[g * d], mu = new float[g * d], md = new float[d * g];
            for (int i = 0; i < g; i++) {
                int[] members = groups.get(i);
                int first = members[0];
                System.arraycopy(gate, first * d, mg, i * d, d);
                System.arraycopy(up, first * d, mu, i * d, d);
                double norm = dot(up, first, up, first, d);
                for (int m : members) {
                    double ratio = norm > 0 ? dot(up, m, up, first, d) / norm : 1;
                    for (int r = 0; r < d; r++) md[r * g + i] += (float) (ratio * down[r * f + m]);
                }
            }
            out.write(Tensor.of(ModelConfig.layer(l, "mlp.gate_proj.weight"), DType.F32, mg, g, d));
            out.write(Tensor.of(ModelConfig.layer(l, "mlp.up_proj.weight"), DType.F32, mu, g, d));
            out.write(Tensor.of(ModelConfig.layer(l, "mlp.down_proj.weight"), DType.F32, md, d, g));
            if (g != groupsSeen) throw new IllegalStateException("layers merge to different unit counts");
        }
        ModelConfig merged = c.withWidths(c.hiddenSize(), groupsSeen);
        return new Merged(merged, out, groupsSeen);
    }

    /**
     * Units with the same gate row (to float tolerance): sorted by a random projection, neighbours compared in full.
     * Every group is a run of the sort, so this is O(f log f · d).
     */
    static List<int[]> groups(float[] gate, int f, int d) {
        Random rng = new Random(1);
        double[] dir = new double[d];
        for (int j = 0; j < d; j++) dir[j] = rng.nextGaussian();
        double[] proj = new double[f];
        for (int i = 0; i < f; i++) for (int j = 0; j < d; j++) proj[i] += gate[i * d + j] * dir[j];
        Integer[] order = new Integer[f];
        for (int i = 0; i < f; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(proj[a], proj[b]));
        List<int[]> groups = new ArrayList<>();
        List<Integer> current = new ArrayList<>(List.of(order[0]));
        for (int k = 1; k < f; k++) {
            if (same(gate, current.getFirst(), order[k], d)) current.add(order[k]);
            else {
                groups.add(current.stream().mapToInt(Integer::intValue).toArray());
                current = new ArrayList<>(List.of(order[k]));
            }
        }
        groups.add(current.stream().mapToInt(Integer::intValue).toArray());
        groups.sort((a, b) -> Integer.compare(a[0], b[0]));
        return groups;
    }

    private static boolean same(float[] m, int a, int b, int d) {
        double diff = 0, norm = 0;
        for (int j = 0; j < d; j++) {
            double x = m[a * d + j] - m[b * d + j];
            diff += x * x;
            norm += (double) m[a * d + j] * m[a * d + j];
        }
        return diff <= 1e-8 * norm;
    }

    private static double dot(float[] a, int ra, float[] b, int rb, int d) {
        double s = 0;
        for (int j = 0; j < d; j++) s += (double) a[ra * d + j] * b[rb * d + j];
        return s;
    }
}
