package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Call;
import dev.veil.attack.capture.RecordingBackend;
import dev.veil.attack.capture.Request;
import dev.veil.attack.capture.Rows;
import dev.veil.attack.math.TopK;
import dev.veil.attack.metrics.Guesses;
import dev.veil.engine.KvCache;
import dev.veil.engine.Transformer;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.ModelName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The joint attack: a cloud that combines every row it is sent. For one position it sees 4L + 2 independently masked
 * views of the same token — the embedding one-hot, per layer the inputs of QKV, O, gate|up and down, and (for positions
 * whose logits were asked for) the LM head's input. Under one-time pool masks each view is {@code z = x + σ·r} with
 * Gaussian r, so the evidence for a candidate token v is one Gaussian log-likelihood summed over all views,
 * {@code Σ (z·x_v − ½‖x_v‖²) / σ²}, where x_v is the row the public model sends for v after the prefix and σ is read
 * from the rows' own norms and the public mask setting ({@code ‖z‖² ≈ ‖x‖²(1 + s²d)} for mask scale s). The public
 * model is the prior over the next token (a public unigram at the first position), a beam search runs over the
 * sequence, and at generated positions the public decoding rule (greedy: the argmax after the prefix) leaves one
 * candidate.
 *
 * <p>Per position and beam, every token is scored on the prefix-free views (the one-hot and layer 0's QKV input, for
 * all V at once) plus the prior; the best {@code candidates} are then run through the whole model as one batch and
 * scored on every other view. The final hypotheses of that search and of the same search reading nothing are then
 * rescored whole — prior and every view of every position — and the best is the guess: beam search on noisy evidence
 * can drop the prior's own hypothesis, whose greedy continuation the rows of the generated positions may confirm. With {@code readRows = false} it is its own reads-nothing twin: the same decoder with
 * the same prior, no evidence. Captures with decoy sequences are not modelled (their rows interleave sequences).
 */
public final class JointLikelihoodAttack extends RankedAttack implements TalariaAttack {

    /**
     * @param beams      sequences kept per position
     * @param candidates tokens per beam run through the whole model
     * @param readRows   false: the reads-nothing twin
     * @param usePrior   false: evidence alone (the model's prior is not used; for depth studies)
     * @param greedy     the deployment decodes greedily (public decoding rule): a generated token is the argmax after its prefix
     * @param firstPrior log-probabilities of the first token (public unigram), or null for uniform
     * @param oracle     analysis only: the true tokens of each request, to score evidence given the true prefix; null for a real attack
     */
    public record Options(
            int beams,
            int candidates,
            boolean readRows,
            boolean usePrior,
            boolean greedy,
            double[] firstPrior,
            List<int[]> oracle) {

        public Options {
            if (beams < 1 || candidates < 1) throw new IllegalArgumentException("beams and candidates must be >= 1");
        }

        public Options readingNothing() {
            return new Options(beams, candidates, false, usePrior, greedy, firstPrior, oracle);
        }
    }

    /** Relative power below which a view counts as unmasked: FP32 reproduces an unmasked row to ~1e-7. */
    private static final double SIGMA_FLOOR = 1e-6;

    private final Options o;

    public JointLikelihoodAttack(Options options, int k) {
        super(name(options), TokenStream.PROCESSED, k);
        this.o = options;
    }

    /** The public unigram prior (add-one smoothed log-probabilities) of {@code publicTokens}. */
    public static double[] unigramPrior(int[] publicTokens, int vocab) {
        double[] p = new double[vocab];
        Arrays.fill(p, 1);
        for (int t : publicTokens) p[t]++;
        double total = publicTokens.length + vocab;
        for (int i = 0; i < vocab; i++) p[i] = Math.log(p[i] / total);
        return p;
    }

    private static String name(Options o) {
        String what = !o.readRows
                ? "joint decoder, reads nothing (" + (o.usePrior ? "model prior" : "no prior")
                        + (o.greedy ? ", greedy rule" : "") + ")"
                : "joint likelihood over all rows" + (o.usePrior ? " + model prior" : "")
                        + (o.greedy ? " + greedy rule" : "");
        return what + (o.oracle != null ? ", true prefix" : ", beam " + o.beams);
    }

    /** The name of this attack's reads-nothing twin (the same decoder without the rows). */
    public String twinName() {
        return name(o.readingNothing());
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        return t.eachRequest(progress, r -> decode(t, r, o.oracle == null ? null : o.oracle.get(r.index())));
    }

    /** A sequence hypothesis: its cache holds its tokens; {@code prior} is the log-probability of each next token. */
    private record Beam(int[] tokens, KvCache cache, double score, double[] prior) {}

    private record Scored(Beam parent, int token, double score, KvCache cache, float[] logits) {}

    /** A candidate next token of a beam, scored on the prior and the prefix-free views. */
    private record Proposal(Beam parent, int token, double score) {}

    /** A search's result: its final hypotheses, best first, and each position's candidates in the order it ranked them. */
    private record Search(List<Beam> finals, List<List<Integer>> alternatives) {}

    private Guesses decode(TalariaTarget t, Request r, int[] truth) {
        Views views = new Views(t, r);
        Search search = search(t, views, truth, o.readRows);
        int[] best = null;
        if (truth == null) {
            best = search.finals.getFirst().tokens;
            if (o.readRows) {
                // beam search with noisy evidence can leave the prior's own hypothesis behind, and at generated
                // positions
                // the greedy rule makes the whole continuation follow from the prompt: so the hypotheses of the same
                // search
                // reading nothing join, and every complete hypothesis is rescored on all its positions at once
                List<int[]> hypotheses = new ArrayList<>();
                search.finals.forEach(b -> hypotheses.add(b.tokens));
                search(t, views, null, false).finals.forEach(b -> hypotheses.add(b.tokens));
                double top = Double.NEGATIVE_INFINITY;
                for (int[] h : hypotheses) {
                    double score = sequenceScore(t, views, h);
                    if (score > top) {
                        top = score;
                        best = h;
                    }
                }
            }
        }
        int n = views.positions;
        int[][] ranked = new int[n][];
        for (int p = 0; p < n; p++) {
            List<Integer> alt = new ArrayList<>(search.alternatives.get(p));
            if (best != null) {
                alt.remove(Integer.valueOf(best[p]));
                alt.addFirst(best[p]);
            }
            ranked[p] = alt.stream().limit(k).mapToInt(Integer::intValue).toArray();
        }
        return new Guesses(ranked);
    }

    /** The log-prior (as the search scores it) plus the evidence of every view, over all positions of one complete hypothesis. */
    private double sequenceScore(TalariaTarget t, Views views, int[] tokens) {
        RecordingBackend recorder = new RecordingBackend(t.plain(), key -> key.startsWith("in/"));
        Transformer model = new Transformer(recorder);
        float[] logits = model.forwardAll(tokens, new KvCache(t.config(), tokens.length + 1));
        Request seen = recorder.take(0, new int[0], new int[0]);
        int vocab = t.vocab();
        double score = 0;
        for (int p = 0; p < tokens.length; p++) {
            if (o.usePrior)
                score += p == 0
                        ? (o.firstPrior != null ? o.firstPrior[tokens[0]] : 0)
                        : logSoftmax(Arrays.copyOfRange(logits, (p - 1) * vocab, p * vocab))[tokens[p]];
            score += views.prefixFree(p, tokens[p]) + views.deep(p, seen, p);
        }
        return score;
    }

    private Search search(TalariaTarget t, Views views, int[] truth, boolean reading) {
        ModelConfig c = t.config();
        int vocab = c.vocabSize();
        int n = views.positions;
        RecordingBackend recorder = new RecordingBackend(t.plain(), key -> key.startsWith("in/"));
        Transformer model = new Transformer(recorder);
        double[] first = o.usePrior && o.firstPrior != null ? o.firstPrior : new double[vocab];
        List<Beam> beams = List.of(new Beam(new int[0], new KvCache(c, n + 1), 0, first));
        List<List<Integer>> alternatives = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            double[] prefixFree = reading ? views.prefixFree(p) : new double[vocab];
            boolean generated = o.greedy && p >= views.promptLength;
            int want = truth == null ? -1 : truth[p];
            List<Proposal> proposals = new ArrayList<>();
            for (Beam b : beams) {
                double[] base = new double[vocab];
                for (int v = 0; v < vocab; v++) base[v] = (o.usePrior ? b.prior[v] : 0) + prefixFree[v];
                int[] cands =
                        generated ? new int[] {argmax(b.prior)} : TopK.largest(base, Math.min(o.candidates, vocab));
                if (truth != null && Arrays.stream(cands).noneMatch(v -> v == want))
                    cands = appendOne(
                            cands,
                            want); // the oracle scores the true token even where the filter or the rule dropped it
                for (int cand : cands) proposals.add(new Proposal(b, cand, b.score + base[cand]));
            }
            if (!reading) { // nothing more to read: rank now, and run only the survivors through the model
                proposals.sort(Comparator.comparingDouble(Proposal::score).reversed());
                alternatives.add(proposals.stream()
                        .map(Proposal::token)
                        .distinct()
                        .limit(k)
                        .toList());
                proposals = proposals.stream()
                        .filter(x -> truth == null || x.token == want)
                        .limit(truth == null ? o.beams : 1)
                        .toList();
            }
            List<Scored> next = simulate(model, recorder, views, p, proposals, reading);
            next.sort(Comparator.comparingDouble(Scored::score).reversed());
            if (reading) alternatives.add(distinctTokens(next, k));
            int keep = truth != null ? 0 : Math.min(o.beams, next.size());
            List<Beam> survivors = new ArrayList<>();
            if (truth != null) { // the true prefix goes on, whatever was guessed
                Scored s =
                        next.stream().filter(x -> x.token == want).findFirst().orElseThrow();
                survivors.add(extend(s));
            }
            for (int i = 0; i < keep; i++) survivors.add(extend(next.get(i)));
            beams = survivors;
        }
        return new Search(beams, alternatives);
    }

    /** Runs each proposal's token after its beam's prefix (one batch per beam) and adds the evidence of every other view. */
    private List<Scored> simulate(
            Transformer model,
            RecordingBackend recorder,
            Views views,
            int p,
            List<Proposal> proposals,
            boolean reading) {
        List<Scored> out = new ArrayList<>();
        for (int from = 0; from < proposals.size(); ) {
            Beam b = proposals.get(from).parent;
            int to = from;
            while (to < proposals.size() && proposals.get(to).parent == b) to++;
            List<Transformer.Chunk> chunks = new ArrayList<>();
            for (int i = from; i < to; i++) {
                KvCache cache = new KvCache(model.config(), b.cache.capacity());
                cache.copyFrom(b.cache);
                chunks.add(new Transformer.Chunk(new int[] {proposals.get(i).token}, cache, Transformer.Logits.LAST));
            }
            float[][] logits = model.forward(chunks);
            Request seen = recorder.take(0, new int[0], new int[0]);
            for (int i = from; i < to; i++) {
                Proposal x = proposals.get(i);
                double s = x.score + (reading ? views.deep(p, seen, i - from) : 0);
                out.add(new Scored(b, x.token, s, chunks.get(i - from).cache(), logits[i - from]));
            }
            from = to;
        }
        return out;
    }

    private Beam extend(Scored s) {
        int[] tokens = Arrays.copyOf(s.parent.tokens, s.parent.tokens.length + 1);
        tokens[tokens.length - 1] = s.token;
        return new Beam(tokens, s.cache, s.score, logSoftmax(s.logits));
    }

    private static List<Integer> distinctTokens(List<Scored> sorted, int k) {
        List<Integer> out = new ArrayList<>();
        for (Scored s : sorted) {
            if (!out.contains(s.token)) out.add(s.token);
            if (out.size() == k) break;
        }
        return out;
    }

    private static int[] appendOne(int[] a, int v) {
        int[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double log = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = logits[i] - log;
        return out;
    }

    /**
     * What the cloud saw of one request, per position: each product's row and the mask variance of the call it came
     * in. Rows line up with positions: every per-token product has one row per processed token; the LM head has one
     * row per logits request — the prompt's last position, then every decode step.
     */
    private static final class Views {

        final int positions, promptLength;
        private final Map<String, Rows> rows = new HashMap<>();
        private final Map<String, double[]> precision = new HashMap<>(); // 1/σ² per row
        private final TalariaTarget t;
        private final String first = TalariaTarget.FIRST_LAYER,
                embed = ModelName.EMBED.toString(),
                head = ModelName.LM_HEAD.toString();

        Views(TalariaTarget t, Request r) {
            this.t = t;
            double s = t.hiddenMask().equals("none") ? 0 : t.maskScale();
            Map<String, Integer> seen = new HashMap<>();
            for (Call call : r.calls()) {
                if (!r.has("in/" + call.name())) continue; // a capture that kept only some products: use those
                Rows all = r.in(call.name());
                int from = seen.getOrDefault(call.name(), 0);
                int d = all.cols();
                double power = 0; // mean squared row norm of the call
                for (int i = from; i < from + call.rows(); i++)
                    for (int j = 0; j < d; j++) power += (double) all.data()[i * d + j] * all.data()[i * d + j];
                power /= call.rows();
                double sigma2 = call.name().equals(embed)
                        ? Math.max(power - 1, 0) / d // one-hot: absolute σ, ‖z‖² = 1 + σ²V
                        : power * s * s / (1 + s * s * d); // hidden: σ = s·rms‖x‖, ‖z‖² = ‖x‖²(1 + s²d)
                sigma2 = Math.max(sigma2, SIGMA_FLOOR * power / d);
                double[] prec = precision.computeIfAbsent(call.name(), k -> new double[all.rows()]);
                Arrays.fill(prec, from, from + call.rows(), 1 / sigma2);
                rows.put(call.name(), all);
                seen.put(call.name(), from + call.rows());
            }
            if (!rows.containsKey(first))
                throw new IllegalArgumentException("request " + r.index() + " has no " + first + " rows");
            positions = rows.get(first).rows();
            // the prompt ends where the logits start (one LM-head row per generated token); a client that computes the
            // logits itself still shows it: every decode step is a one-row call
            if (rows.containsKey(head))
                promptLength = positions - rows.get(head).rows() + 1;
            else {
                List<Call> firsts =
                        r.calls().stream().filter(x -> x.name().equals(first)).toList();
                int steps = 0;
                for (int i = firsts.size() - 1; i > 0 && firsts.get(i).rows() == 1; i--) steps++;
                promptLength = positions - steps;
            }
        }

        /** Evidence for every token from the views that do not depend on the prefix: the one-hot and layer 0's QKV input. */
        double[] prefixFree(int p) {
            float[] z = rows.get(first).row(p);
            double[] ll = new double[t.vocab()];
            for (int v = 0; v < ll.length; v++) ll[v] = prefixFree(p, v, z);
            return ll;
        }

        /** {@link #prefixFree(int)} for one token. */
        double prefixFree(int p, int v) {
            return prefixFree(p, v, rows.get(first).row(p));
        }

        private double prefixFree(int p, int v, float[] z) {
            int d = t.config().hiddenSize();
            double ll = 0;
            Rows oneHot = rows.get(embed);
            if (oneHot != null)
                ll += (oneHot.data()[p * oneHot.cols() + v] - 0.5) * precision.get(embed)[p];
            float[] cand = t.firstLayerCandidates();
            double dot = VectorMath.dot(z, 0, cand, v * d, d), self = VectorMath.dot(cand, v * d, cand, v * d, d);
            return ll + (dot - 0.5 * self) * precision.get(first)[p];
        }

        /** Evidence for candidate {@code i} of a simulated batch from every view that depends on the prefix. */
        double deep(int p, Request simulated, int i) {
            double ll = 0;
            for (Map.Entry<String, Rows> e : rows.entrySet()) {
                String key = e.getKey();
                if (key.equals(embed) || key.equals(first)) continue;
                int row = key.equals(head) ? p - (promptLength - 1) : p;
                if (row < 0 || row >= e.getValue().rows() || !simulated.has("in/" + key)) continue;
                Rows sim = simulated.in(key);
                int d = sim.cols();
                double dot = VectorMath.dot(e.getValue().data(), row * d, sim.data(), i * d, d);
                double self = VectorMath.dot(sim.data(), i * d, sim.data(), i * d, d);
                ll += (dot - 0.5 * self) * precision.get(key)[row];
            }
            return ll;
        }
    }
}
