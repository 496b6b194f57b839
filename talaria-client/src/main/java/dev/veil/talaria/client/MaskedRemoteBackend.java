package dev.veil.talaria.client;

import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.ExpertBatch;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupPlan;
import dev.veil.talaria.protocol.SetupRequest;
import java.net.URI;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The Talaria client's linear backend: every weight product of the engine's forward pass, the embedding included, is
 * masked here, computed by the cloud on the masked rows, checked, and unmasked here (ReMO). The forward pass around it
 * is the local engine's, unchanged; this class holds masks and unmasking material, never a weight.
 *
 * <p>Not thread-safe across concurrent forward passes: use one backend per sequence (or the decoy mixer, which
 * merges several sequences into one stream of calls).
 */
public final class MaskedRemoteBackend implements LinearBackend {

    private final CloudConnection cloud;
    private final SetupService setup;
    private final TalariaOptions options;
    private final ModelConfig config;
    /** The client's secret randomness: every call's mask coefficients and every session's seed. */
    private final MaskPrg entropy;

    private final WireStats stats;
    private Session session;
    private int expectedRows = Integer.MAX_VALUE;
    /** The embedding table, being fetched or fetched, when the options keep the embedding or LM head local; else null. */
    private final CompletableFuture<LocalTables> tables;
    /** Set up on another thread for when the current session's pools run out (see {@link #continueWith}); or null. */
    private CompletableFuture<PreparedSetup> successor;

    /** Qwen3's γ_q, γ_k per layer ({@code [2·layer]}, {@code [2·layer + 1]}), applied here in the client; or null. */
    private final float[][] qkNorms;

    /** A session: the maskers one secret seed expands to. */
    private record Session(Map<ModelName, ProductMasker> maskers) {}

    /**
     * A session's setup done ahead of its request ({@link #prepare(int)}): a fresh secret seed, the plan it was made
     * for (pools sized to {@code rows}), and the authority's bundle. Used for at most one session.
     */
    public static final class PreparedSetup {
        private final int rows;
        private final SetupPlan plan;
        private byte[] seed;
        private final SetupService.Reply reply;

        private PreparedSetup(int rows, SetupPlan plan, byte[] seed, SetupService.Reply reply) {
            this.rows = rows;
            this.plan = plan;
            this.seed = seed;
            this.reply = reply;
        }

        /** Rows per product the prepared pools cover. */
        public int rows() {
            return rows;
        }

        /** The seed, once: a prepared setup cannot back two sessions. */
        private synchronized byte[] take() {
            byte[] s = seed;
            if (s == null) throw new IllegalStateException("this prepared setup was already used");
            seed = null;
            return s;
        }
    }

    public MaskedRemoteBackend(CloudConnection cloud, SetupService setup, TalariaOptions options) {
        this(cloud, setup, options, MaskPrg.fresh());
    }

    /**
     * With a given entropy stream, for reproducible experiments and tests only: whoever knows the stream can remove
     * every mask.
     */
    public MaskedRemoteBackend(CloudConnection cloud, SetupService setup, TalariaOptions options, MaskPrg entropy) {
        this(cloud, setup, options, entropy, null);
    }

    /**
     * @param tables the vendor's table server, from which the embedding table is fetched (in the background, from now;
     *               once per process) when {@code options} keep the embedding or the LM head local; null when they do not
     */
    public MaskedRemoteBackend(CloudConnection cloud, SetupService setup, TalariaOptions options, URI tables) {
        this(cloud, setup, options, MaskPrg.fresh(), tables);
    }

    /** With a given entropy stream and a table server: for reproducible experiments and tests only (see above). */
    public MaskedRemoteBackend(
            CloudConnection cloud, SetupService setup, TalariaOptions options, MaskPrg entropy, URI tables) {
        this.entropy = entropy;
        this.cloud = cloud;
        this.setup = setup;
        this.config = cloud.fetchConfig();
        this.qkNorms = config.qkNorm() ? cloud.fetchQkNorms(config) : null;
        this.options = options.resolve(config);
        this.stats = cloud.stats();
        if (options.localHead() && !config.tieWordEmbeddings())
            throw new IllegalArgumentException(
                    "a local LM head needs a tied model (the head is then the embedding table); "
                            + "this model's head is its own tensor");
        if (options.needsTable() && tables == null)
            throw new IllegalArgumentException(
                    "a local embedding or LM head needs the vendor's table server (--tables URL)");
        this.tables = !options.needsTable() ? null : LocalTables.shared(tables, config);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    /** Qwen3's q/k norm weights on the plain per-head rows the client holds anyway (no round trip, nothing masked). */
    @Override
    public void applyQkNorm(int layer, float[] qkv, int n) {
        if (qkNorms == null) throw new IllegalArgumentException("this model has no q_norm/k_norm");
        LinearBackend.scaleQkHeads(config, qkv, n, qkNorms[2 * layer], qkNorms[2 * layer + 1]);
    }

    public TalariaOptions options() {
        return options;
    }

    public WireStats stats() {
        return stats;
    }

    /** Marks the start of a request: with {@link TalariaOptions.Refresh#REQUEST} the next call sets up a new session. */
    public synchronized void beginRequest() {
        beginRequest(Integer.MAX_VALUE);
    }

    /**
     * Marks the start of a request that will send at most {@code rows} rows per product (prompt + generated tokens,
     * times the sequences run together): with per-request refresh, one-time pools are set up no larger than that.
     */
    public synchronized void beginRequest(int rows) {
        beginRequest(rows, null);
    }

    /**
     * As {@link #beginRequest(int)}, with the new session taken from {@code prepared} (which is used up) when it covers
     * {@code rows}; otherwise the session is set up on the request's path as usual.
     */
    public synchronized void beginRequest(int rows, PreparedSetup prepared) {
        if (options.refresh() != TalariaOptions.Refresh.REQUEST) return;
        session = null;
        successor = null;
        expectedRows = Math.max(1, rows);
        if (prepared != null && prepared.rows >= expectedRows) session = establish(prepared);
    }

    /**
     * Sets up a session for a later request of up to {@code rows} rows per product, without touching the current one:
     * safe to call from another thread while requests run (the authority's round trip happens outside the backend's
     * lock). Only the fresh seed is drawn under the lock.
     */
    public PreparedSetup prepare(int rows) {
        return preparer(rows).get();
    }

    /**
     * {@link #prepare} in two steps: the fresh seed is drawn now, on the caller's thread, and the authority's round trip
     * is returned to run on any thread without the backend's lock — so a request that waits, holding the lock, for a
     * setup prepared in the background ({@link #continueWith}) cannot wait on a task that waits for the lock.
     */
    public Supplier<PreparedSetup> preparer(int rows) {
        int r = Math.max(1, rows);
        SetupPlan plan = options.refresh() == TalariaOptions.Refresh.REQUEST
                ? options.plan().capPools(r)
                : options.plan();
        byte[] seed;
        synchronized (this) {
            seed = entropy.nextSeed();
        }
        return () -> new PreparedSetup(r, plan, seed, plan.empty() ? null : timedSetup(new SetupRequest(seed, plan)));
    }

    private SetupService.Reply timedSetup(SetupRequest request) {
        long t0 = System.nanoTime();
        SetupService.Reply reply = setup.setup(request, config);
        stats.setupNanos.addAndGet(System.nanoTime() - t0);
        return reply;
    }

    /** The fetched table (waiting for the fetch if it is still under way). */
    private LocalTables tables() {
        try {
            return tables.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Waits until the embedding table, if the options need one, has arrived. */
    public void awaitTables() {
        if (tables != null) tables();
    }

    @Override
    public void embed(int[] tokens, float[] out) {
        if (options.localEmbed()) {
            tables().embed(tokens, out);
            return;
        }
        int v = config.vocabSize();
        float[] oneHot = new float[tokens.length * v];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= v)
                throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary of " + v);
            oneHot[i * v + tokens[i]] = 1f;
        }
        call(ModelName.EMBED, oneHot, tokens.length, out);
    }

    @Override
    public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
        if (op == LinearOp.LM_HEAD && options.localHead()) {
            tables().logits(Parallel.shared(), x, n, out);
            return;
        }
        call(ModelName.of(Product.of(op), layer), x, n, out);
    }

    @Override
    public void route(int layer, float[] x, int n, float[] out) {
        call(new ModelName(Product.ROUTER, layer), x, n, out);
    }

    @Override
    public void applyExpert(LinearOp op, int layer, int expert, float[] x, int n, float[] out) {
        call(new ModelName(Product.ofExpert(op), layer, expert), x, n, out);
    }

    /**
     * Every expert's rows in one round trip ({@link ExpertBatch}). Each expert's rows are masked, checked and unmasked
     * by that expert's own masker exactly as in {@link #applyExpert}, so the cloud receives the same masked rows as in
     * one call per expert, only together. A pool that runs out renews the session and masks every expert afresh.
     */
    @Override
    public synchronized void applyExperts(
            LinearOp op, int layer, int[] experts, float[][] x, int[] rows, float[][] out) {
        ExpertBatch batch = new ExpertBatch(Product.ofExpert(op), layer);
        int g = experts.length, in = batch.inDim(config), outDim = batch.outDim(config);
        if (g == 0) return;
        float[][] z = new float[g][], correction = new float[g][];
        ProductMasker[] maskers = new ProductMasker[g];
        try {
            maskAll(batch, experts, x, rows, in, z, correction, maskers);
        } catch (ProductMasker.PoolExhaustedException e) {
            int most = Arrays.stream(rows).max().orElse(0);
            session = takeSuccessor(most); // a fresh seed brings fresh pools for every expert
            for (int i = 0; i < g; i++)
                if (session().maskers().get(batch.member(experts[i])).poolLeft() < rows[i])
                    throw new TalariaException(
                            e.getMessage() + " and a call needs " + rows[i] + " rows: raise the pool size", e);
            maskAll(batch, experts, x, rows, in, z, correction, maskers);
        }
        float[][] y = cloud.inferExperts(batch, experts, z, rows, in, outDim);
        for (int i = 0; i < g; i++) maskers[i].check(z[i], rows[i], y[i]);
        for (int i = 0; i < g; i++) {
            if (correction[i] == null) System.arraycopy(y[i], 0, out[i], 0, rows[i] * outDim);
            else for (int j = 0; j < rows[i] * outDim; j++) out[i][j] = y[i][j] - correction[i][j];
        }
    }

    /** Masks each expert's rows with its own masker of the current session (see {@link #call}). */
    private void maskAll(
            ExpertBatch batch,
            int[] experts,
            float[][] x,
            int[] rows,
            int in,
            float[][] z,
            float[][] correction,
            ProductMasker[] maskers) {
        for (int i = 0; i < experts.length; i++) {
            if (rows[i] < 1) throw new IllegalArgumentException("expert " + experts[i] + " has no rows");
            ModelName name = batch.member(experts[i]);
            maskers[i] = session().maskers().get(name);
            z[i] = Arrays.copyOf(x[i], rows[i] * in);
            correction[i] = maskers[i].mask(z[i], rows[i], sigma(name, x[i], rows[i], in), entropy);
        }
    }

    /**
     * The cloud must not learn which experts a row used: every expert gets every row, or the chosen ones plus decoys
     * drawn from the client's secret randomness ({@link TalariaOptions#experts()}, design D10).
     */
    @Override
    public synchronized void coverExperts(int layer, int n, int k, int experts, int[] chosen, boolean[] sent) {
        options.experts().cover(n, k, experts, sent, entropy);
    }

    private synchronized void call(ModelName name, float[] x, int n, float[] out) {
        if (n == 0) return;
        int in = name.inDim(config), outDim = name.outDim(config);
        float[] z = Arrays.copyOf(x, n * in);
        float[] correction;
        ProductMasker masker;
        try {
            masker = session().maskers().get(name);
            correction = masker.mask(z, n, sigma(name, x, n, in), entropy);
        } catch (ProductMasker.PoolExhaustedException e) {
            session = takeSuccessor(n); // a fresh seed brings a fresh pool
            masker = session().maskers().get(name);
            if (masker.poolLeft() < n)
                throw new TalariaException(e.getMessage() + " and a call needs " + n + " rows: raise the pool size", e);
            correction = masker.mask(z, n, sigma(name, x, n, in), entropy);
        }
        float[] y = cloud.infer(name, z, n, in, outDim);
        masker.check(z, n, y);
        if (correction == null) System.arraycopy(y, 0, out, 0, n * outDim);
        else for (int i = 0; i < n * outDim; i++) out[i] = y[i] - correction[i];
    }

    /**
     * Mask rms per coordinate: for hidden rows, {@code maskScale} × the rows' L2 norm (root mean square over the call's
     * rows), so that what an attacker can read from a masked row — which goes like ‖x‖ / σ — is the same at every
     * model width; absolute for one-hot rows.
     */
    private double sigma(ModelName name, float[] x, int n, int in) {
        if (name.product() == Product.EMBED) return options.embedScale();
        double norm = Kernels.norm(x, 0, n * in) / Math.sqrt(n);
        return options.maskScale() * (norm > 0 ? norm : 1);
    }

    /**
     * Lets the current session's pools run out into {@code next} (prepared on another thread) instead of a setup on
     * the request's path: a fresh client's first request sets up the prompt's rows only and continues with this.
     */
    public synchronized void continueWith(CompletableFuture<PreparedSetup> next) {
        successor = next;
    }

    /** The successor's session when one was given, it covers {@code rows} and its setup succeeded; else null. */
    private Session takeSuccessor(int rows) {
        CompletableFuture<PreparedSetup> f = successor;
        successor = null;
        if (f == null) return null;
        try {
            PreparedSetup p = f.join();
            return p.rows() >= rows ? establish(p) : null;
        } catch (RuntimeException e) {
            return null; // set up on the path instead, where a failure is reported
        }
    }

    private Session session() {
        if (session == null) session = establish();
        return session;
    }

    /** A new secret seed, its unmasking material from the setup authority, and the maskers. */
    private Session establish() {
        SetupPlan plan = options.refresh() == TalariaOptions.Refresh.REQUEST
                ? options.plan().capPools(expectedRows)
                : options.plan();
        byte[] seed = entropy.nextSeed();
        return establish(new PreparedSetup(
                expectedRows, plan, seed, plan.empty() ? null : timedSetup(new SetupRequest(seed, plan))));
    }

    /** The maskers of a set-up session. */
    private Session establish(PreparedSetup prepared) {
        SetupPlan plan = prepared.plan;
        byte[] seed = prepared.take();
        SetupBundle bundle = null;
        if (prepared.reply != null) {
            bundle = prepared.reply.bundle();
            stats.setups.incrementAndGet();
            stats.setupBytes.addAndGet(prepared.reply.bytes());
        }
        Map<ModelName, ProductMasker> maskers = new LinkedHashMap<>();
        for (ModelName n : ModelName.all(config))
            maskers.put(n, new ProductMasker(n, config, plan, seed, bundle == null ? null : bundle.get(n)));
        return new Session(maskers);
    }

    /** Largest relative deviation of an accepted reply in the current session's integrity checks. */
    public synchronized double worstCheckDeviation() {
        if (session == null) return 0;
        return session.maskers().values().stream()
                .mapToDouble(ProductMasker::worstCheck)
                .max()
                .orElse(0);
    }

    @Override
    public void close() {
        cloud.close();
        setup.close();
    }
}
