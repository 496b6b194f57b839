package dev.veil.engine;

import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.ModelConfig;

/**
 * Causal grouped-query attention over a sequence's {@link KvCache}, multi-threaded over (key/value head, token).
 * One task handles all query heads that share a key/value head, so each cached key and value is read once per group.
 */
final class Attention {

    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    private Attention() {}

    /**
     * For each row {@code r} of {@code qkv} (rows of {@code [q | k | v]}, already stored in their caches): attends with
     * every query head to positions {@code 0 .. positions[r]} of {@code caches[r]} and writes
     * {@code out[r × qDim + h × headDim ..]}. Rows may belong to different sequences (a batched decode step).
     */
    static void attend(Parallel parallel, ModelConfig c, int layer, float[] qkv, KvCache[] caches, int[] positions,
                       float[] out) {
        int headDim = c.headDim(), group = c.groupSize(), kvDim = c.kvDim(), qDim = c.qDim();
        int qkvDim = qDim + 2 * kvDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        parallel.forEach(c.numKvHeads() * positions.length, task -> {
            int kvHead = task % c.numKvHeads(), t = task / c.numKvHeads();
            int length = positions[t] + 1;
            float[] keys = caches[t].keys(layer), values = caches[t].values(layer);
            float[] scores = SCORES.get();
            if (scores.length < group * length) SCORES.set(scores = new float[group * length]);
            int kvOffset = kvHead * headDim;
            int firstHead = kvHead * group;
            int q = t * qkvDim + firstHead * headDim;
            for (int s = 0; s < length; s++)
                for (int g = 0; g < group; g++)
                    scores[g * length + s] = scale * VectorMath.dot(qkv, q + g * headDim, keys, s * kvDim + kvOffset, headDim);
            for (int g = 0; g < group; g++) VectorMath.softmax(scores, g * length, length);
            int o = t * qDim + firstHead * headDim;
            for (int g = 0; g < group; g++)
                VectorMath.weightedRowSum(scores, g * length, length, values, kvOffset, kvDim, out, o + g * headDim, headDim);
        });
    }
}
