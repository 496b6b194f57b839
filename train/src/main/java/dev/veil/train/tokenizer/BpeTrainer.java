package dev.veil.train.tokenizer;

import dev.veil.tokenizer.ByteLevel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;

/**
 * Learns a byte-level BPE vocabulary: start from the 256 bytes, then repeatedly merge the most frequent adjacent
 * pair of tokens inside pre-tokenized words until the vocabulary is full.
 *
 * <p>Pair counts are kept up to date incrementally: a merge rewrites only the words that contain its pair. Ties
 * are broken by the smaller token ids, so training is deterministic.
 */
public final class BpeTrainer {
    private final int vocabSize;
    private final List<String> specialTokens;
    private final int minFrequency;

    // word table: distinct pre-tokenized words as token-id sequences, with their corpus frequency
    private final Map<String, Integer> wordIndex = new HashMap<>();
    private final List<int[]> words = new ArrayList<>();
    private final List<Long> freqs = new ArrayList<>();
    // pair -> {count}; pair -> words that contained it when it was counted (may hold stale entries)
    private final Map<Long, long[]> pairCounts = new HashMap<>();
    private final Map<Long, List<Integer>> pairWords = new HashMap<>();
    // pairs whose count grew since they were last queued: their queue entries would understate them
    private final Set<Long> grown = new HashSet<>();

    /**
     * @param vocabSize    the total vocabulary, special tokens included
     * @param specialTokens added after the learned tokens, in this order
     * @param minFrequency a pair seen fewer times is never merged
     */
    public BpeTrainer(int vocabSize, List<String> specialTokens, int minFrequency) {
        if (vocabSize < 256 + specialTokens.size())
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is smaller than the 256 bytes plus "
                    + specialTokens.size() + " special tokens");
        if (minFrequency < 1)
            throw new IllegalArgumentException("min_frequency must be at least 1, got " + minFrequency);
        this.vocabSize = vocabSize;
        this.specialTokens = List.copyOf(specialTokens);
        this.minFrequency = minFrequency;
    }

    /** Counts the pre-tokenized words of {@code text}. */
    public void add(String text) {
        Map<String, Long> counts = new TreeMap<>(); // sorted: word ids do not depend on hash order
        for (String piece : SplitPattern.split(text)) counts.merge(piece, 1L, Long::sum);
        counts.forEach((word, n) -> {
            Integer id = wordIndex.get(word);
            if (id == null) {
                wordIndex.put(word, words.size());
                byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
                int[] symbols = new int[bytes.length];
                for (int i = 0; i < bytes.length; i++) symbols[i] = bytes[i] & 0xff;
                words.add(symbols);
                freqs.add(n);
            } else {
                freqs.set(id, freqs.get(id) + n);
            }
        });
    }

    /** Learns the merges. The trainer's word table is consumed: call once. */
    public TrainedBpe train() {
        List<String> tokens = new ArrayList<>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
        Map<String, Integer> tokenIds = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) tokenIds.put(tokens.get(id), id);
        List<int[]> merges = new ArrayList<>();

        for (int w = 0; w < words.size(); w++) addPairs(w, +1);
        PriorityQueue<long[]> queue = new PriorityQueue<>(BpeTrainer::byCountThenIds); // {count, pair}
        requeueGrown(queue);

        int target = vocabSize - specialTokens.size();
        while (tokens.size() < target && !queue.isEmpty()) {
            long[] top = queue.poll();
            long pair = top[1];
            long current = count(pair);
            if (current != top[0]) { // stale entry: the pair's count changed since it was queued
                if (current > 0) queue.add(new long[] {current, pair});
                continue;
            }
            if (current < minFrequency) break;
            int a = (int) (pair >>> 32), b = (int) pair;
            // two merges can spell the same string ("ab"+"c", "a"+"bc"): they share one token, as in Hugging Face's
            // trainer
            String spelled = tokens.get(a) + tokens.get(b);
            int merged = tokenIds.computeIfAbsent(spelled, t -> {
                tokens.add(t);
                return tokens.size() - 1;
            });
            merges.add(new int[] {a, b});
            for (int w : pairWords.remove(pair)) {
                if (!contains(words.get(w), a, b)) continue; // already rewritten by an earlier merge
                addPairs(w, -1);
                words.set(w, merge(words.get(w), a, b, merged));
                addPairs(w, +1);
            }
            pairCounts.remove(pair);
            requeueGrown(queue);
        }
        for (String s : specialTokens) tokens.add(s);
        return new TrainedBpe(tokens, merges, specialTokens);
    }

    private void requeueGrown(PriorityQueue<long[]> queue) {
        for (long pair : grown) {
            long c = count(pair);
            if (c > 0) queue.add(new long[] {c, pair});
        }
        grown.clear();
    }

    /** Adds ({@code sign} = +1) or removes (-1) the adjacent pairs of word {@code w}, weighted by its frequency. */
    private void addPairs(int w, int sign) {
        int[] s = words.get(w);
        long f = freqs.get(w) * sign;
        for (int i = 0; i + 1 < s.length; i++) {
            long pair = ((long) s[i] << 32) | s[i + 1];
            pairCounts.computeIfAbsent(pair, k -> new long[1])[0] += f;
            if (sign > 0) {
                List<Integer> ws = pairWords.computeIfAbsent(pair, k -> new ArrayList<>());
                if (ws.isEmpty() || ws.getLast() != w) ws.add(w);
                grown.add(pair);
            }
        }
    }

    private long count(long pair) {
        long[] c = pairCounts.get(pair);
        return c == null ? 0 : c[0];
    }

    /** How training segmented {@code word} (a pre-tokenized piece it counted), as token ids. */
    int[] segmentation(String word) {
        Integer w = wordIndex.get(word);
        if (w == null) throw new IllegalArgumentException("word not in the training data: " + word);
        return words.get(w).clone();
    }

    private static boolean contains(int[] s, int a, int b) {
        for (int i = 0; i + 1 < s.length; i++) if (s[i] == a && s[i + 1] == b) return true;
        return false;
    }

    /** {@code s} with every non-overlapping occurrence of (a, b), left to right, replaced by {@code merged}. */
    static int[] merge(int[] s, int a, int b, int merged) {
        int[] out = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                out[n++] = merged;
                i++;
            } else {
                out[n++] = s[i];
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int byCountThenIds(long[] x, long[] y) {
        int c = Long.compare(y[0], x[0]);
        return c != 0 ? c : Long.compare(x[1], y[1]);
    }
}
