package dev.veil.attack.math;

import dev.veil.engine.kernel.Parallel;

/**
 * Nearest-neighbour search over a fixed set of candidate rows (usually one per vocabulary entry): the {@code k}
 * candidates closest to each query row, by cosine similarity or Euclidean distance, computed block by block with
 * the engine's GEMM.
 */
public final class Nearest {

    public enum Metric {
        COSINE,
        EUCLIDEAN
    }

    private static final int BLOCK = 256;

    private final float[] candidates; // normalised rows for COSINE
    private final float[] squaredNorms; // for EUCLIDEAN
    private final int count, dim;
    private final Metric metric;

    public Nearest(float[] candidates, int dim, Metric metric) {
        if (candidates.length % dim != 0)
            throw new IllegalArgumentException(candidates.length + " values are not rows of " + dim);
        this.dim = dim;
        this.count = candidates.length / dim;
        this.metric = metric;
        this.candidates = metric == Metric.COSINE ? unit(candidates, dim) : candidates.clone();
        this.squaredNorms = new float[count];
        for (int c = 0; c < count; c++) {
            double s = 0;
            for (int j = 0; j < dim; j++) s += (double) this.candidates[c * dim + j] * this.candidates[c * dim + j];
            squaredNorms[c] = (float) s;
        }
    }

    public int count() {
        return count;
    }

    public int dim() {
        return dim;
    }

    /** The {@code k} nearest candidates of each of the {@code queries.length / dim} query rows, nearest first. */
    public int[][] topK(float[] queries, int k) {
        int n = queries.length / dim;
        int kk = Math.min(k, count);
        int[][] out = new int[n][];
        float[] q = metric == Metric.COSINE ? unit(queries, dim) : queries;
        for (int from = 0; from < n; from += BLOCK) {
            int to = Math.min(n, from + BLOCK), rows = to - from;
            float[] scores = RowMajor.timesTransposed(RowMajor.rows(q, dim, from, to), rows, dim, candidates, count);
            int base = from;
            Parallel.shared().forEach(rows, i -> {
                float[] s = new float[count];
                for (int c = 0; c < count; c++)
                    s[c] = metric == Metric.COSINE
                            ? scores[i * count + c]
                            : 2 * scores[i * count + c] - squaredNorms[c];
                out[base + i] = TopK.largest(s, kk);
            });
        }
        return out;
    }

    /** Similarity (cosine) or negative squared distance of query row {@code q} to candidate {@code c}. */
    public double score(float[] q, int c) {
        double dot = 0, qq = 0;
        for (int j = 0; j < dim; j++) {
            dot += (double) q[j] * candidates[c * dim + j];
            qq += (double) q[j] * q[j];
        }
        return metric == Metric.COSINE
                ? dot / Math.sqrt(Math.max(qq, Double.MIN_NORMAL))
                : 2 * dot - squaredNorms[c] - qq;
    }

    static float[] unit(float[] rows, int dim) {
        float[] out = rows.clone();
        for (int r = 0; r < rows.length / dim; r++) {
            double s = 0;
            for (int j = 0; j < dim; j++) s += (double) rows[r * dim + j] * rows[r * dim + j];
            float inv = s > 0 ? (float) (1 / Math.sqrt(s)) : 0f;
            for (int j = 0; j < dim; j++) out[r * dim + j] *= inv;
        }
        return out;
    }
}
