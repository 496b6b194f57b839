package dev.veil.engine;

import static dev.veil.engine.KvCache.BLOCK;

import dev.veil.engine.kernel.Half;
import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.ModelConfig;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention over a sequence's {@link KvCache}, multi-threaded over (key/value head, token).
 * One task serves all query heads that share a kv head, walking that head's keys and then its values in chunks of
 * {@value #CHUNK_BLOCKS} key blocks; each chunk is used by every query head of the group while it is in L1, so the
 * cache is read from memory once per kv head.
 */
final class Attention {

    /** One vector holds one key block's positions. */
    private static final VectorSpecies<Float> K = Half.F;
    /** Key blocks per chunk (64 positions with AVX-512): the scoring kernel interleaves four. */
    private static final int CHUNK_BLOCKS = 4;

    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    private Attention() {}

    /**
     * For each row {@code r} of {@code qkv} (rows of {@code [q | k | v]}, already stored in their caches): attends with
     * every query head to positions {@code 0 .. positions[r]} of {@code caches[r]} and writes
     * {@code out[r × qDim + h × headDim ..]}. Rows may belong to different sequences (a batched decode step).
     */
    static void attend(
            Parallel parallel, ModelConfig c, int layer, float[] qkv, KvCache[] caches, int[] positions, float[] out) {
        int headDim = c.headDim(), group = c.groupSize(), qDim = c.qDim();
        int qkvDim = qDim + 2 * c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        parallel.forEach(c.numKvHeads() * positions.length, task -> {
            int kvHead = task % c.numKvHeads(), t = task / c.numKvHeads();
            int length = positions[t] + 1;
            KvCache cache = caches[t];
            float[] keys = cache.keys(layer), values = cache.values(layer);
            int blocks = Math.ceilDiv(length, BLOCK);
            int stride = blocks * BLOCK; // one query head's scores, padded to whole key blocks
            float[] scores = SCORES.get();
            if (scores.length < group * stride) SCORES.set(scores = new float[group * stride]);
            int q = t * qkvDim + kvHead * group * headDim, o = t * qDim + kvHead * group * headDim;

            for (int b = 0; b < blocks; b += CHUNK_BLOCKS)
                for (int g = 0; g < group; g++)
                    scores(
                            qkv,
                            q + g * headDim,
                            headDim,
                            scale,
                            keys,
                            cache,
                            kvHead,
                            b,
                            Math.min(blocks, b + CHUNK_BLOCKS),
                            scores,
                            g * stride);
            for (int g = 0; g < group; g++) VectorMath.softmax(scores, g * stride, length);
            Arrays.fill(out, o, o + group * headDim, 0f);
            int v0 = cache.valueAt(kvHead, 0);
            for (int s = 0; s < length; s += CHUNK_BLOCKS * BLOCK) {
                int count = Math.min(CHUNK_BLOCKS * BLOCK, length - s);
                for (int g = 0; g < group; g++)
                    VectorMath.addWeightedRows(
                            scores,
                            g * stride + s,
                            count,
                            values,
                            v0 + s * headDim,
                            headDim,
                            out,
                            o + g * headDim,
                            headDim);
            }
        });
    }

    /**
     * {@code scores[off + s] = scale · q · key_s} for the positions of key blocks {@code [from, to)} (junk past the
     * sequence's end): per head dimension {@code d}, one multiply-add of {@code q[d]} with a block of keys'
     * {@code d}-th components. Four blocks run interleaved, four independent accumulator chains hiding the latency.
     */
    private static void scores(
            float[] qkv,
            int q,
            int headDim,
            float scale,
            float[] keys,
            KvCache cache,
            int kvHead,
            int from,
            int to,
            float[] scores,
            int off) {
        int b = from;
        if (to - from == 4) {
            int k0 = cache.keyBlock(kvHead, b), k1 = cache.keyBlock(kvHead, b + 1);
            int k2 = cache.keyBlock(kvHead, b + 2), k3 = cache.keyBlock(kvHead, b + 3);
            FloatVector a0 = FloatVector.zero(K), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < headDim; d++) {
                FloatVector qd = FloatVector.broadcast(K, qkv[q + d]);
                int e = d * BLOCK;
                a0 = FloatVector.fromArray(K, keys, k0 + e).fma(qd, a0);
                a1 = FloatVector.fromArray(K, keys, k1 + e).fma(qd, a1);
                a2 = FloatVector.fromArray(K, keys, k2 + e).fma(qd, a2);
                a3 = FloatVector.fromArray(K, keys, k3 + e).fma(qd, a3);
            }
            a0.mul(scale).intoArray(scores, off + b * BLOCK);
            a1.mul(scale).intoArray(scores, off + (b + 1) * BLOCK);
            a2.mul(scale).intoArray(scores, off + (b + 2) * BLOCK);
            a3.mul(scale).intoArray(scores, off + (b + 3) * BLOCK);
            return;
        }
        for (; b < to; b++) {
            int k0 = cache.keyBlock(kvHead, b);
            FloatVector a = FloatVector.zero(K);
            for (int d = 0; d < headDim; d++)
                a = FloatVector.fromArray(K, keys, k0 + d * BLOCK).fma(FloatVector.broadcast(K, qkv[q + d]), a);
            a.mul(scale).intoArray(scores, off + b * BLOCK);
        }
    }
}
