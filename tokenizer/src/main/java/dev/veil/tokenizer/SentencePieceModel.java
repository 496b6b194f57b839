package dev.veil.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * SentencePiece BPE by token score, as llama.cpp tokenizes a GGUF vocabulary of type "llama": start from
 * characters, repeatedly join the adjacent pair whose concatenation is the vocabulary token with the highest
 * score (leftmost on ties); characters left that are not tokens become "&lt;0xNN&gt;" byte tokens.
 */
final class SentencePieceModel implements TokenModel {
    private final Vocabulary vocab;
    private final int[] scoreRank;   // per id: 0 for the highest score; equal scores share a rank
    private final int[] byteIds;     // null when the vocabulary has no byte tokens
    private final int unkId;

    SentencePieceModel(Vocabulary vocab, float[] scores, int unkId) {
        if (scores.length < vocab.size())
            throw new IllegalArgumentException("tokenizer.ggml.scores has " + scores.length + " entries for "
                    + vocab.size() + " tokens");
        this.vocab = vocab;
        this.scoreRank = ranksByDescendingScore(scores, vocab.size());
        this.byteIds = vocab.byteTokenIds();
        this.unkId = unkId;
    }

    private record Bigram(int rank, int left, int right, int length) {}

    private static final Comparator<Bigram> ORDER = Comparator.comparingInt(Bigram::rank).thenComparingInt(Bigram::left);

    @Override
    public void encode(String text, IntList out) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n], length = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            int width = Character.charCount(text.codePointAt(offset));
            start[i] = offset;
            length[i] = width;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            offset += width;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(ORDER);
        for (int i = 1; i < n; i++) offer(queue, text, start, length, i - 1, i);

        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            // Skip a pair whose symbols were merged since it was queued.
            if (length[b.left] == 0 || length[b.right] == 0 || length[b.left] + length[b.right] != b.length) continue;
            length[b.left] += length[b.right];
            length[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.left] >= 0) prev[next[b.left]] = b.left;
            if (prev[b.left] >= 0) offer(queue, text, start, length, prev[b.left], b.left);
            if (next[b.left] >= 0) offer(queue, text, start, length, b.left, next[b.left]);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) emit(text.substring(start[i], start[i] + length[i]), out);
    }

    private void offer(PriorityQueue<Bigram> queue, String text, int[] start, int[] length, int left, int right) {
        int merged = vocab.id(text.substring(start[left], start[right] + length[right]));
        if (merged >= 0) queue.add(new Bigram(scoreRank[merged], left, right, length[left] + length[right]));
    }

    private void emit(String symbol, IntList out) {
        int id = vocab.id(symbol);
        if (id >= 0) {
            out.add(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            if (byteIds != null) out.add(byteIds[b & 0xFF]);
            else if (unkId >= 0) out.add(unkId);
        }
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
