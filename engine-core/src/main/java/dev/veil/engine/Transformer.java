package dev.veil.engine;

import static dev.veil.engine.LinearOp.DOWN;
import static dev.veil.engine.LinearOp.GATE_UP;
import static dev.veil.engine.LinearOp.LM_HEAD;
import static dev.veil.engine.LinearOp.O;
import static dev.veil.engine.LinearOp.QKV;

import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.Rope;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.ModelConfig;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The forward pass of a Llama / Qwen2 / Qwen3 / Qwen3-MoE decoder, written once. It holds no weight: every product
 * with a weight (and the embedding lookup, q/k norm weights, router and experts) goes through the {@link LinearBackend},
 * so local inference, the AloePri model and the Talaria client all run this same code with different backends.
 *
 * <p>Thread-safe: concurrent sequences each bring their own {@link KvCache}; a server batches the decode steps of many
 * sequences into one pass with {@link #forward(List)}.
 */
public final class Transformer {

    /**
     * Rows per {@link LinearBackend#applyExperts} call at most (unless one expert alone has more): the Talaria cloud's
     * default row cap per request, and a bound on the activations a sparse layer holds at once.
     */
    public static final int EXPERT_GROUP_ROWS = 4096;

    private final LinearBackend backend;
    private final ModelConfig c;
    private final Parallel parallel;
    private final Rope rope;

    public Transformer(LinearBackend backend, Parallel parallel) {
        this.backend = backend;
        this.c = backend.config();
        this.parallel = parallel;
        this.rope = Rope.of(c);
    }

    /** A transformer on the process-wide kernel pool. */
    public Transformer(LinearBackend backend) {
        this(backend, Parallel.shared());
    }

    public ModelConfig config() {
        return c;
    }

    public LinearBackend backend() {
        return backend;
    }

    /** An empty cache for one sequence, holding the model's whole context. */
    public KvCache newCache() {
        return new KvCache(c);
    }

    /** Which positions of a chunk need logits. */
    public enum Logits {
        NONE,
        LAST,
        ALL
    }

    /**
     * Tokens to run at the next positions of one sequence's cache: a prompt chunk, or the one token of a decode step.
     *
     * @param logits which of the chunk's positions need logits
     */
    public record Chunk(int[] tokens, KvCache cache, Logits logits) {

        public Chunk {
            if (tokens.length == 0) throw new IllegalArgumentException("no tokens to run");
        }
    }

    /** Runs {@code tokens} at the next positions of {@code cache}; returns the logits of the last token. */
    public float[] forward(int[] tokens, KvCache cache) {
        return forward(List.of(new Chunk(tokens, cache, Logits.LAST)))[0];
    }

    /** Runs {@code tokens} at the next positions of {@code cache}; returns the logits of every token ({@code n × vocab}). */
    public float[] forwardAll(int[] tokens, KvCache cache) {
        return forward(List.of(new Chunk(tokens, cache, Logits.ALL)))[0];
    }

    /** Runs {@code tokens} into {@code cache} without computing logits (a prompt chunk whose successor follows). */
    public void append(int[] tokens, KvCache cache) {
        forward(List.of(new Chunk(tokens, cache, Logits.NONE)));
    }

    /**
     * Runs the chunks of several sequences in one pass over the weights (continuous batching): their rows are stacked
     * for every weight product, while RoPE and attention use each row's own sequence and position. Every step but the
     * weight products is row by row, so on a backend whose products are batch-invariant (the local backend with
     * {@code Batching.INVARIANT}) a sequence's results are bit for bit those it gets alone. Returns each chunk's logits ({@code null} for
     * {@link Logits#NONE}, one row for {@link Logits#LAST}, a row per token for {@link Logits#ALL}).
     */
    public float[][] forward(List<Chunk> chunks) {
        Rows rows = Rows.of(chunks);
        int n = rows.count();
        int hidden = c.hiddenSize(), qDim = c.qDim(), kvDim = c.kvDim(), inter = c.intermediateSize();
        int qkvDim = qDim + 2 * kvDim;
        float[] x = new float[n * hidden]; // the residual stream
        float[] normed = new float[n * hidden];
        float[] qkv = new float[n * qkvDim];
        float[] attention = new float[n * qDim];
        float[] projected = new float[n * hidden];
        float[] gateUp = null, swiGlu = null; // dense feed-forward buffers, made when a dense layer comes
        Rope.Table[] angles = new Rope.Table[chunks.size()];
        for (int i = 0; i < angles.length; i++)
            angles[i] = rope.table(chunks.get(i).cache().size(), chunks.get(i).tokens().length);

        Parallel.RangeBody norm = (from, to) -> VectorMath.rmsNorm(x, from, to, hidden, c.rmsNormEps(), normed);
        backend.embed(rows.tokens(), x);
        for (int layer = 0; layer < c.numLayers(); layer++) {
            // attention block
            parallel.forRows(n, norm);
            backend.apply(QKV, layer, normed, n, qkv);
            if (c.qkNorm()) {
                // Qwen3: RMSNorm over head_dim on every query and key head (weights from the backend), before RoPE
                for (int r = 0; r < n; r++) normHeads(qkv, r * qkvDim, c.numHeads() + c.numKvHeads());
                backend.applyQkNorm(layer, qkv, n);
            }
            for (int r = 0; r < n; r++) {
                int row = r * qkvDim, t = rows.indexInChunk(r);
                Rope.Table table = angles[rows.chunk(r)];
                for (int h = 0; h < c.numHeads(); h++) table.rotate(qkv, row + h * c.headDim(), t);
                for (int h = 0; h < c.numKvHeads(); h++) table.rotate(qkv, row + qDim + h * c.headDim(), t);
                rows.cache(r).put(layer, rows.position(r), qkv, row + qDim, row + qDim + kvDim);
            }
            Attention.attend(parallel, c, layer, qkv, rows.caches(), rows.positions(), attention);
            backend.apply(O, layer, attention, n, projected);
            VectorMath.add(x, 0, projected, 0, n * hidden);

            // feed-forward block
            parallel.forRows(n, norm);
            if (c.isMoeLayer(layer)) {
                experts(layer, normed, n, projected);
            } else {
                if (gateUp == null) {
                    gateUp = new float[n * 2 * inter];
                    swiGlu = new float[n * inter];
                }
                backend.apply(GATE_UP, layer, normed, n, gateUp);
                float[] in = gateUp, act = swiGlu;
                parallel.forRows(n, (from, to) -> VectorMath.swiGlu(in, from, to, inter, act));
                backend.apply(DOWN, layer, swiGlu, n, projected);
            }
            VectorMath.add(x, 0, projected, 0, n * hidden);
        }
        for (Chunk chunk : chunks) chunk.cache().advance(chunk.tokens().length);
        return logits(chunks, rows, x);
    }

    /** RMSNorm without weight, in place, over {@code heads} consecutive head_dim slices starting at {@code off}. */
    private void normHeads(float[] qkv, int off, int heads) {
        int d = c.headDim();
        for (int h = 0, at = off; h < heads; h++, at += d) {
            float scale = (float) (1.0 / Math.sqrt(VectorMath.dot(qkv, at, qkv, at, d) / d + c.rmsNormEps()));
            VectorMath.scale(qkv, at, scale, qkv, at, d);
        }
    }

    /**
     * A mixture-of-experts feed-forward (Qwen3-MoE): each row's router logits go through a softmax, the row goes to
     * the {@code k} experts of highest probability (ties to the lower index), and its output is their SwiGLU outputs
     * weighted by those probabilities, renormalised to sum 1 when {@code norm_topk_prob}. Experts are chosen per row,
     * so rows of different sequences in one batch each get their own; each expert runs once on all rows routed to it
     * (and on the rows the backend {@link LinearBackend#coverExperts adds to hide the routing}, whose outputs are
     * dropped). The experts of a layer go to the backend in one {@link LinearBackend#applyExperts} call per projection
     * (a remote backend: one round trip), split only when their rows exceed {@link #EXPERT_GROUP_ROWS}.
     * A row's sum runs over its experts in rank order whatever the batch, so results stay batch-invariant on a
     * batch-invariant backend.
     */
    private void experts(int layer, float[] normed, int n, float[] out) {
        ModelConfig.Moe moe = c.moe();
        int experts = moe.numExperts(),
                k = moe.expertsPerToken(),
                hidden = c.hiddenSize(),
                inter = moe.moeIntermediateSize();
        float[] probs = new float[n * experts];
        backend.route(layer, normed, n, probs);
        int[] chosen = new int[n * k];
        float[] weights = new float[n * k];
        route(moe, probs, n, chosen, weights);
        boolean[] sent = new boolean[n * experts];
        for (int r = 0; r < n; r++) for (int j = 0; j < k; j++) sent[r * experts + chosen[r * k + j]] = true;
        backend.coverExperts(layer, n, k, experts, chosen, sent);
        float[] slots = new float[n * k * hidden]; // slot r·k + j: row r's output from its j-th expert
        int[] used = new int[experts], count = new int[experts];
        int groupSize = 0;
        for (int e = 0; e < experts; e++) {
            for (int r = 0; r < n; r++) {
                if (sent[r * experts + e]) count[e]++;
                else if (routedTo(chosen, r, k, e) >= 0)
                    throw new IllegalStateException("the backend withheld row " + r + " from its chosen expert " + e);
            }
            if (count[e] > 0) used[groupSize++] = e;
        }
        // the experts go to the backend together, in groups of at most EXPERT_GROUP_ROWS rows (or one expert's n)
        for (int from = 0; from < groupSize; ) {
            int to = groupEnd(used, groupSize, count, from, Math.max(n, EXPERT_GROUP_ROWS));
            int g = to - from;
            int[] ids = Arrays.copyOfRange(used, from, to), m = new int[g];
            int[][] rowOf = new int[g][];
            float[][] in = new float[g][], gateUp = new float[g][], act = new float[g][], y = new float[g][];
            for (int i = 0; i < g; i++) {
                int e = ids[i];
                m[i] = count[e];
                rowOf[i] = new int[m[i]];
                in[i] = m[i] == n ? normed : new float[m[i] * hidden];
                for (int r = 0, at = 0; r < n; r++)
                    if (sent[r * experts + e]) {
                        if (m[i] != n) System.arraycopy(normed, r * hidden, in[i], at * hidden, hidden);
                        rowOf[i][at++] = r;
                    }
                gateUp[i] = new float[m[i] * 2 * inter];
                act[i] = new float[m[i] * inter];
                y[i] = new float[m[i] * hidden];
            }
            backend.applyExperts(GATE_UP, layer, ids, in, m, gateUp);
            for (int i = 0; i < g; i++) VectorMath.swiGlu(gateUp[i], 0, m[i], inter, act[i]);
            backend.applyExperts(DOWN, layer, ids, act, m, y);
            for (int i = 0; i < g; i++)
                for (int row = 0; row < m[i]; row++) {
                    int j = routedTo(chosen, rowOf[i][row], k, ids[i]);
                    if (j >= 0) System.arraycopy(y[i], row * hidden, slots, (rowOf[i][row] * k + j) * hidden, hidden);
                }
            from = to;
        }
        Arrays.fill(out, 0, n * hidden, 0f);
        for (int r = 0; r < n; r++)
            VectorMath.addWeightedRows(weights, r * k, k, slots, r * k * hidden, hidden, out, r * hidden, hidden);
    }

    /**
     * The routing rule of {@link #experts}: softmax of each row's router logits ({@code logits[n × experts]}, turned
     * into probabilities in place), the {@code k} experts of highest probability in rank order (ties to the lower
     * index) into {@code chosen[n × k]}, their probabilities (renormalised to sum 1 when {@code norm_topk_prob}) into
     * {@code weights[n × k]}. Public so that whoever must reproduce the routing (AloePri's calibration and its
     * routing-error measurement) uses this one rule.
     */
    public static void route(ModelConfig.Moe moe, float[] logits, int n, int[] chosen, float[] weights) {
        int experts = moe.numExperts(), k = moe.expertsPerToken();
        for (int r = 0; r < n; r++) {
            VectorMath.softmax(logits, r * experts, experts);
            TopK.select(logits, r * experts, experts, k, chosen, r * k);
            float sum = 0;
            for (int j = 0; j < k; j++) {
                weights[r * k + j] = logits[r * experts + chosen[r * k + j]];
                sum += weights[r * k + j];
            }
            if (moe.normTopkProb()) for (int j = 0; j < k; j++) weights[r * k + j] /= sum;
        }
    }

    /**
     * Where the group of experts starting at {@code used[from]} ends (exclusive): as many of the next experts as fit
     * {@code cap} rows together ({@code count[e]} each), at least one.
     */
    static int groupEnd(int[] used, int size, int[] count, int from, int cap) {
        int to = from, total = 0;
        while (to < size && (to == from || total + count[used[to]] <= cap)) total += count[used[to++]];
        return to;
    }

    /** The rank at which row {@code r} chose expert {@code e}, or -1. */
    private static int routedTo(int[] chosen, int r, int k, int e) {
        for (int j = 0; j < k; j++) if (chosen[r * k + j] == e) return j;
        return -1;
    }

    /** The final norm and LM head over the rows that need logits (all chunks in one product), split by chunk. */
    private float[][] logits(List<Chunk> chunks, Rows rows, float[] x) {
        int hidden = c.hiddenSize(), vocab = c.vocabSize();
        int[] wanted = new int[chunks.size()];
        int total = 0;
        for (int i = 0; i < wanted.length; i++) {
            Chunk chunk = chunks.get(i);
            wanted[i] = switch (chunk.logits()) {
                case NONE -> 0;
                case LAST -> 1;
                case ALL -> chunk.tokens().length;
            };
            total += wanted[i];
        }
        float[][] out = new float[chunks.size()][];
        if (total == 0) return out;
        float[] picked = new float[total * hidden];
        for (int i = 0, at = 0; i < wanted.length; i++) {
            int lastRow = rows.firstRow(i) + chunks.get(i).tokens().length;
            System.arraycopy(x, (lastRow - wanted[i]) * hidden, picked, at * hidden, wanted[i] * hidden);
            at += wanted[i];
        }
        float[] normed = new float[total * hidden];
        VectorMath.rmsNorm(picked, 0, total, hidden, c.rmsNormEps(), normed);
        float[] all = new float[total * vocab];
        backend.apply(LM_HEAD, 0, normed, total, all);
        for (int i = 0, at = 0; i < wanted.length; i++) {
            if (wanted[i] > 0) out[i] = Arrays.copyOfRange(all, at * vocab, (at + wanted[i]) * vocab);
            at += wanted[i];
        }
        return out;
    }

    /**
     * The rows of a batched pass, chunk after chunk: each row's token, sequence cache and position. Validates the
     * batch and reserves cache room before anything is computed, so a refused batch leaves every cache's contents as
     * they were.
     */
    private record Rows(int[] tokens, int[] chunkOf, int[] firstRows, KvCache[] caches, int[] positions) {

        static Rows of(List<Chunk> chunks) {
            if (chunks.isEmpty()) throw new IllegalArgumentException("no sequences to run");
            Set<KvCache> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            int n = 0;
            for (Chunk chunk : chunks) {
                if (!seen.add(chunk.cache()))
                    throw new IllegalArgumentException("a sequence's cache appears twice in one batch");
                chunk.cache().reserve(chunk.tokens().length); // grows storage only; throws naming the context length
                n += chunk.tokens().length;
            }
            int[] tokens = new int[n], chunkOf = new int[n], firstRows = new int[chunks.size()], positions = new int[n];
            KvCache[] caches = new KvCache[n];
            int r = 0;
            for (int i = 0; i < chunks.size(); i++) {
                Chunk chunk = chunks.get(i);
                firstRows[i] = r;
                for (int t = 0; t < chunk.tokens().length; t++, r++) {
                    tokens[r] = chunk.tokens()[t];
                    chunkOf[r] = i;
                    caches[r] = chunk.cache();
                    positions[r] = chunk.cache().size() + t;
                }
            }
            return new Rows(tokens, chunkOf, firstRows, caches, positions);
        }

        int count() {
            return tokens.length;
        }

        int chunk(int row) {
            return chunkOf[row];
        }

        int firstRow(int chunk) {
            return firstRows[chunk];
        }

        int indexInChunk(int row) {
            return row - firstRows[chunkOf[row]];
        }

        KvCache cache(int row) {
            return caches[row];
        }

        int position(int row) {
            return positions[row];
        }
    }
}
