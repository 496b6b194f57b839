package dev.veil.engine;

import dev.veil.model.ModelConfig;
import java.util.Arrays;

/**
 * The keys and values of one sequence, F32, laid out {@code [layer][position][kvDim]}. The capacity is the context
 * length; memory grows with the sequence (doubling), so a 128k-context model does not reserve gigabytes up front.
 *
 * <p>Not thread-safe: one cache belongs to one sequence, driven by one thread at a time.
 */
public final class KvCache {

    private final int layers;
    private final int kvDim;
    private final int capacity;
    private final float[][] keys;
    private final float[][] values;
    private int allocated;
    private int size;

    /** A cache for the model's full context ({@code max_position_embeddings}). */
    public KvCache(ModelConfig config) {
        this(config, config.maxPositionEmbeddings());
    }

    public KvCache(ModelConfig config, int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("context length must be positive, got " + capacity);
        this.layers = config.numLayers();
        this.kvDim = config.kvDim();
        this.capacity = capacity;
        this.keys = new float[layers][0];
        this.values = new float[layers][0];
    }

    /** Positions held (the next token goes to position {@code size()}). */
    public int size() {
        return size;
    }

    /** The context length: the most positions this cache can hold. */
    public int capacity() {
        return capacity;
    }

    public int remaining() {
        return capacity - size;
    }

    public int kvDim() {
        return kvDim;
    }

    /** Layer {@code layer}'s keys: position {@code p}, kv head {@code h} starts at {@code p × kvDim + h × headDim}. */
    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /** Makes room for {@code n} more positions, or fails naming the context length. */
    void reserve(int n) {
        if (n > remaining()) throw new IllegalArgumentException("positions " + size + ".." + (size + n - 1)
                + " exceed the context length " + capacity);
        int needed = size + n;
        if (needed <= allocated) return;
        int grown = (int) Math.min(capacity, Math.max(needed, Math.max(64, 2L * allocated)));
        for (int l = 0; l < layers; l++) {
            keys[l] = Arrays.copyOf(keys[l], grown * kvDim);
            values[l] = Arrays.copyOf(values[l], grown * kvDim);
        }
        allocated = grown;
    }

    /** Stores the key and value of one position of one layer (the position must have been reserved). */
    void put(int layer, int position, float[] src, int keyOffset, int valueOffset) {
        System.arraycopy(src, keyOffset, keys[layer], position * kvDim, kvDim);
        System.arraycopy(src, valueOffset, values[layer], position * kvDim, kvDim);
    }

    /** Marks {@code n} more positions as filled (after every layer has stored them). */
    void advance(int n) {
        size += n;
    }

    /** Forgets every position from {@code newSize} on, e.g. to reuse a shared prompt prefix. */
    public void truncate(int newSize) {
        if (newSize < 0 || newSize > size)
            throw new IllegalArgumentException("cannot truncate a cache of " + size + " positions to " + newSize);
        size = newSize;
    }

    public void clear() {
        size = 0;
    }
}
