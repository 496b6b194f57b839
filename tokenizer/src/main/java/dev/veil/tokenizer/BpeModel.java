package dev.veil.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding by merge rank, as Hugging Face's BPE model and llama.cpp's BPE tokenizer do it: split the
 * piece into characters, then repeatedly merge the adjacent pair with the lowest rank (leftmost on ties).
 * A binary heap of (rank, position) with lazy invalidation keeps a piece at O(n log n); a cache of
 * piece -> ids makes repeated words free.
 */
final class BpeModel implements TokenModel {
    private static final int MAX_CACHED_PIECE = 64;
    private static final int MAX_CACHE_ENTRIES = 200_000;

    private final Vocabulary vocab;
    private final MergeTable merges;
    private final boolean ignoreMerges;
    private final int[] byteFallbackIds; // null: no byte fallback
    private final int unkId; // -1: characters not in the vocabulary are dropped
    private final boolean fuseUnk;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param ignoreMerges  a piece that is itself a token is emitted whole (Llama-3)
     * @param byteFallback  a character not in the vocabulary becomes its UTF-8 bytes as "&lt;0xNN&gt;" tokens
     */
    BpeModel(
            Vocabulary vocab,
            MergeTable merges,
            boolean ignoreMerges,
            boolean byteFallback,
            int unkId,
            boolean fuseUnk) {
        this.vocab = vocab;
        this.merges = merges;
        this.ignoreMerges = ignoreMerges;
        this.byteFallbackIds = byteFallback ? vocab.byteTokenIds() : null;
        if (byteFallback && byteFallbackIds == null)
            throw new IllegalArgumentException(
                    "byte_fallback is set but the vocabulary lacks the <0x00>..<0xFF> tokens");
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
    }

    @Override
    public void encode(String piece, IntList out) {
        if (piece.isEmpty()) return;
        if (piece.length() > MAX_CACHED_PIECE) {
            out.addAll(merge(piece));
            return;
        }
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = merge(piece);
            if (cache.size() < MAX_CACHE_ENTRIES) cache.put(piece, ids);
        }
        out.addAll(ids);
    }

    private int[] merge(String piece) {
        if (ignoreMerges) {
            int whole = vocab.id(piece);
            if (whole >= 0) return new int[] {whole};
        }
        Symbols symbols = initialSymbols(piece);
        int n = symbols.size;
        int[] ids = symbols.ids;
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) pushPair(heap, ids, i, i + 1);

        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (ids[pos] < 0 || right < 0) continue; // merged away, or no right neighbour any more
            long rule = merges.get(ids[pos], ids[right]);
            if (rule < 0 || (int) (rule >>> 32) != rank) continue; // the pair changed since it was queued
            ids[pos] = (int) rule;
            ids[right] = -1;
            alive--;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) pushPair(heap, ids, prev[pos], pos);
            if (next[pos] >= 0) pushPair(heap, ids, pos, next[pos]);
        }
        int[] result = new int[alive];
        for (int i = 0, k = 0; i >= 0 && k < alive; i = next[i]) result[k++] = ids[i];
        return result;
    }

    private void pushPair(LongHeap heap, int[] ids, int left, int right) {
        long rule = merges.get(ids[left], ids[right]);
        if (rule >= 0) heap.push((rule & 0xFFFFFFFF00000000L) | left);
    }

    /** One symbol per character; unknown characters become byte tokens, the unknown token, or nothing. */
    private Symbols initialSymbols(String piece) {
        Symbols s = new Symbols(piece.length());
        boolean lastWasUnk = false;
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            i += Character.charCount(cp);
            int id = vocab.charId(cp);
            if (id >= 0) {
                s.add(id);
                lastWasUnk = false;
            } else if (byteFallbackIds != null) {
                for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) s.add(byteFallbackIds[b & 0xFF]);
                lastWasUnk = false;
            } else if (unkId >= 0) {
                if (!(fuseUnk && lastWasUnk)) s.add(unkId);
                lastWasUnk = true;
            }
        }
        return s;
    }

    private static final class Symbols {
        int[] ids;
        int size;

        Symbols(int capacity) {
            ids = new int[Math.max(4, capacity)];
        }

        void add(int id) {
            if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
            ids[size++] = id;
        }
    }
}
