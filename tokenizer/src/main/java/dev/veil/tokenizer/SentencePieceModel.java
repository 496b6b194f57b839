package dev.veil.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * SentencePiece BPE by token score, as llama.cpp tokenizes a GGUF vocabulary of type "llama": start from
 * characters, repeatedly join the adjacent pair whose concatenation is the vocabulary token with the highest
 * score (leftmost on ties); characters left that are not tokens become "&lt;0xNN&gt;" byte tokens.
 *
 * <p>Which pairs join is precomputed from the vocabulary: every split of every token into two tokens. The
 * merge loop then works on ids, with a heap of (score rank, position) invalidated lazily, as in {@link BpeModel}.
 */
final class SentencePieceModel implements TokenModel {
    private final Vocabulary vocab;
    private final int[] scoreRank; // per id: 0 for the highest score; equal scores share a rank
    private final MergeTable joins; // (left id, right id) -> id of their concatenation
    private final int[] byteIds; // null when the vocabulary has no byte tokens
    private final int unkId;

    SentencePieceModel(Vocabulary vocab, float[] scores, int unkId) {
        if (scores.length < vocab.size())
            throw new IllegalArgumentException(
                    "tokenizer.ggml.scores has " + scores.length + " entries for " + vocab.size() + " tokens");
        this.vocab = vocab;
        this.scoreRank = ranksByDescendingScore(scores, vocab.size());
        this.joins = joins(vocab, scoreRank);
        this.byteIds = vocab.byteTokenIds();
        this.unkId = unkId;
    }

    @Override
    public void encode(String text, IntList out) {
        int n = text.codePointCount(0, text.length());
        if (n == 0) return;
        int[] start = new int[n], length = new int[n], ids = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            int cp = text.codePointAt(offset);
            start[i] = offset;
            length[i] = Character.charCount(cp);
            ids[i] = vocab.charId(cp);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            offset += length[i];
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) push(heap, text, start, length, ids, i, i + 1);

        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32), left = (int) top, right = next[left];
            if (length[left] == 0 || right < 0) continue;
            int joined = joined(text, start, length, ids, left, right);
            // Stale if the pair changed since it was queued; a changed pair of equal rank has its own entry
            // with the same (rank, position), so taking it now keeps llama.cpp's order.
            if (joined < 0 || scoreRank[joined] != rank) continue;
            ids[left] = joined;
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[left] >= 0) prev[next[left]] = left;
            if (prev[left] >= 0) push(heap, text, start, length, ids, prev[left], left);
            if (next[left] >= 0) push(heap, text, start, length, ids, left, next[left]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            if (ids[i] >= 0) out.add(ids[i]);
            else emitBytes(text.substring(start[i], start[i] + length[i]), out);
        }
    }

    private void push(LongHeap heap, String text, int[] start, int[] length, int[] ids, int left, int right) {
        int joined = joined(text, start, length, ids, left, right);
        if (joined >= 0) heap.push(((long) scoreRank[joined] << 32) | left);
    }

    /** The token that the two symbols form together, or -1. */
    private int joined(String text, int[] start, int[] length, int[] ids, int left, int right) {
        if (ids[left] >= 0 && ids[right] >= 0) return (int) joins.get(ids[left], ids[right]);
        // a character that is no token may still begin or end one: look the text up
        return vocab.id(text.substring(start[left], start[right] + length[right]));
    }

    private void emitBytes(String symbol, IntList out) {
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            if (byteIds != null) out.add(byteIds[b & 0xFF]);
            else if (unkId >= 0) out.add(unkId);
        }
    }

    /** Every way to write a token as the concatenation of two tokens. */
    private static MergeTable joins(Vocabulary vocab, int[] scoreRank) {
        IntList lefts = new IntList(), rights = new IntList(), joined = new IntList();
        for (int id = 0; id < vocab.size(); id++) {
            String token = vocab.token(id);
            if (token == null || vocab.id(token) != id) continue;
            for (int cut = 1; cut < token.length(); cut++) {
                if (Character.isLowSurrogate(token.charAt(cut))) continue;
                int left = vocab.id(token.substring(0, cut)), right = vocab.id(token.substring(cut));
                if (left < 0 || right < 0) continue;
                lefts.add(left);
                rights.add(right);
                joined.add(id);
            }
        }
        MergeTable table = new MergeTable(joined.size());
        for (int i = 0; i < joined.size(); i++)
            table.put(lefts.get(i), rights.get(i), scoreRank[joined.get(i)], joined.get(i));
        return table;
    }

    private static int[] ranksByDescendingScore(float[] scores, int n) {
        Integer[] byScore = new Integer[n];
        for (int id = 0; id < n; id++) byScore[id] = id;
        Arrays.sort(byScore, (a, b) -> Float.compare(scores[b], scores[a]));
        int[] rank = new int[n];
        for (int k = 0, r = 0; k < n; k++) {
            if (k > 0 && scores[byScore[k]] != scores[byScore[k - 1]]) r++;
            rank[byScore[k]] = r;
        }
        return rank;
    }
}
