package dev.veil.attack.math;

import java.util.Arrays;

/** Indices of the largest or smallest values of an array, best first (ties: lower index first). */
public final class TopK {

    private TopK() {}

    public static int[] largest(float[] v, int k) {
        int kk = Math.min(k, v.length);
        // a small sorted buffer: k is small next to the array
        int[] idx = new int[kk];
        float[] val = new float[kk];
        int filled = 0;
        for (int i = 0; i < v.length; i++) {
            float x = v[i];
            if (Float.isNaN(x)) continue;
            if (filled == kk && !(x > val[kk - 1])) continue;
            int pos = filled < kk ? filled++ : kk - 1;
            while (pos > 0 && x > val[pos - 1]) {
                val[pos] = val[pos - 1];
                idx[pos] = idx[pos - 1];
                pos--;
            }
            val[pos] = x;
            idx[pos] = i;
        }
        if (filled < kk) { // NaNs: fill with the remaining indices so every position has k guesses
            boolean[] used = new boolean[v.length];
            for (int i = 0; i < filled; i++) used[idx[i]] = true;
            for (int i = 0; i < v.length && filled < kk; i++) if (!used[i]) idx[filled++] = i;
        }
        return idx;
    }

    public static int[] smallest(float[] v, int k) {
        float[] neg = new float[v.length];
        for (int i = 0; i < v.length; i++) neg[i] = -v[i];
        return largest(neg, k);
    }

    public static int[] largest(double[] v, int k) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return largest(f, k);
    }

    /** All indices by descending value. */
    public static int[] order(double[] v) {
        Integer[] i = new Integer[v.length];
        for (int j = 0; j < v.length; j++) i[j] = j;
        Arrays.sort(i, (a, b) -> Double.compare(v[b], v[a]));
        return Arrays.stream(i).mapToInt(Integer::intValue).toArray();
    }
}
