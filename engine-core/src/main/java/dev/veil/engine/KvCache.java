package dev.veil.engine;

import dev.veil.engine.kernel.Half;
import dev.veil.model.ModelConfig;

/**
 * The keys and values of one sequence, F32, each kv head's positions contiguous so attention streams them:
 * values {@code [layer][kvHead][position][headDim]}; keys transposed in blocks of one vector's length B of positions
 * (16 with AVX-512), {@code [layer][kvHead][position / B][headDim][position % B]}, so attention computes B scores with
 * one vector multiply-add per head dimension instead of B dot products that each end in a horizontal sum.
 * {@link #key} and {@link #value} give one position in the plain {@code [kvDim]} layout.
 *
 * <p>The capacity is the context length; memory grows with the sequence (doubling), so a 128k-context model does
 * not reserve gigabytes up front. Not thread-safe: one cache belongs to one sequence, driven by one thread at a time.
 */
public final class KvCache {

    /** Positions per transposed key block: one vector of the kernels' width (16 with AVX-512). */
    static final int BLOCK = Half.F.length();

    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final float[][] keys;
    private final float[][] values;
    /** Positions allocated per kv head: a multiple of BLOCK. */
    private int allocated;

    private int size;

    /** A cache for the model's full context ({@code max_position_embeddings}). */
    public KvCache(ModelConfig config) {
        this(config, config.maxPositionEmbeddings());
    }

    public KvCache(ModelConfig config, int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("context length must be positive, got " + capacity);
        this.layers = config.numLayers();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
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

    /** The key of {@code position} in layer {@code layer}: {@code kvDim} floats, kv head by kv head. */
    public float[] key(int layer, int position) {
        float[] out = new float[kvHeads * headDim];
        for (int h = 0; h < kvHeads; h++) {
            int from = keyBlock(h, position / BLOCK) + position % BLOCK;
            for (int d = 0; d < headDim; d++) out[h * headDim + d] = keys[layer][from + d * BLOCK];
        }
        return out;
    }

    /** The value of {@code position} in layer {@code layer}: {@code kvDim} floats, kv head by kv head. */
    public float[] value(int layer, int position) {
        float[] out = new float[kvHeads * headDim];
        for (int h = 0; h < kvHeads; h++)
            System.arraycopy(values[layer], valueAt(h, position), out, h * headDim, headDim);
        return out;
    }

    /** Layer {@code layer}'s transposed key blocks; {@link #keyBlock} locates one. */
    float[] keys(int layer) {
        return keys[layer];
    }

    /** Layer {@code layer}'s values; {@link #valueAt} locates one. */
    float[] values(int layer) {
        return values[layer];
    }

    /** Where key block {@code block} (positions {@code B × block ..}) of kv head {@code kvHead} starts: {@code headDim × B} floats. */
    int keyBlock(int kvHead, int block) {
        return (kvHead * (allocated / BLOCK) + block) * headDim * BLOCK;
    }

    /** Where the value of {@code position} for kv head {@code kvHead} starts; the next position's follows it. */
    int valueAt(int kvHead, int position) {
        return (kvHead * allocated + position) * headDim;
    }

    /** Makes room for {@code n} more positions, or fails naming the context length. */
    void reserve(int n) {
        if (n > remaining())
            throw new IllegalArgumentException(
                    "positions " + size + ".." + (size + n - 1) + " exceed the context length " + capacity);
        int needed = size + n;
        if (needed <= allocated) return;
        int grown =
                Math.ceilDiv((int) Math.min(capacity, Math.max(needed, Math.max(64, 2L * allocated))), BLOCK) * BLOCK;
        long perHead = (long) grown * headDim;
        if (perHead * kvHeads > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException(
                    "a KV cache of " + grown + " positions is too large for one array per layer");
        for (int l = 0; l < layers; l++) {
            keys[l] = regrow(keys[l], allocated * headDim, (int) perHead);
            values[l] = regrow(values[l], allocated * headDim, (int) perHead);
        }
        allocated = grown;
    }

    /** A larger array with each kv head's region ({@code oldPerHead} floats) copied to its new place. */
    private float[] regrow(float[] old, int oldPerHead, int newPerHead) {
        float[] grown = new float[newPerHead * kvHeads];
        for (int h = 0; h < kvHeads; h++) System.arraycopy(old, h * oldPerHead, grown, h * newPerHead, oldPerHead);
        return grown;
    }

    /** Stores the key and value of one position of one layer (the position must have been reserved). */
    void put(int layer, int position, float[] src, int keyOffset, int valueOffset) {
        float[] k = keys[layer];
        for (int h = 0; h < kvHeads; h++) {
            int to = keyBlock(h, position / BLOCK) + position % BLOCK, from = keyOffset + h * headDim;
            for (int d = 0; d < headDim; d++) k[to + d * BLOCK] = src[from + d];
            System.arraycopy(src, valueOffset + h * headDim, values[layer], valueAt(h, position), headDim);
        }
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

    /**
     * Makes this cache hold what {@code src} holds (its positions, in its layout), e.g. to branch one prefix into
     * several continuations that each run in their own cache.
     */
    public void copyFrom(KvCache src) {
        if (src.layers != layers || src.kvHeads != kvHeads || src.headDim != headDim)
            throw new IllegalArgumentException("cannot copy a cache of another model shape");
        if (src.size > capacity)
            throw new IllegalArgumentException(src.size + " positions exceed the context length " + capacity);
        for (int l = 0; l < layers; l++) {
            if (keys[l].length != src.keys[l].length) {
                keys[l] = new float[src.keys[l].length];
                values[l] = new float[src.values[l].length];
            }
            System.arraycopy(src.keys[l], 0, keys[l], 0, src.keys[l].length);
            System.arraycopy(src.values[l], 0, values[l], 0, src.values[l].length);
        }
        allocated = src.allocated;
        size = src.size;
    }
}
