package dev.veil.talaria.client;

import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.ExpertBatch;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.Arrays;

/**
 * Mixes the rows of k decoy sequences with the real one's: k + 1 forward passes run in lockstep, each through its own
 * {@link #lane lane}; when every lane has reached the same product call, their rows go to the cloud as one call under a
 * fresh secret row permutation (and the backend's masks), and each lane gets its own rows back. The cloud sees k + 1
 * times the rows in the same number of round trips and cannot tell which belong to the user.
 *
 * <p>Lane 0 is the real sequence. When it ends, the decoy lanes are stopped at their next call.
 */
final class DecoyMixer {

    /** Thrown in a decoy lane when the real sequence has ended. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("the real sequence ended", null, false, false);
        }
    }

    /**
     * One call gathering the lanes' rows: a product ({@code name}), or several experts of a sparse layer
     * ({@code batch}, {@code experts}), each lane with {@code n} rows per product.
     */
    private static final class Round {
        final Object key; // the ModelName or ExpertBatch: lanes must meet at the same one
        final ModelName name;
        final ExpertBatch batch;
        final int[] experts;
        final int n;
        final float[][][] x; // [lane][product of the call] rows
        final int[][] tokens;
        final float[][][] out;
        int arrived;
        boolean done;
        RuntimeException failure;

        Round(ModelName name, ExpertBatch batch, int[] experts, int n, int lanes) {
            this.key = batch != null ? batch : name;
            this.name = name;
            this.batch = batch;
            this.experts = experts;
            this.n = n;
            this.x = new float[lanes][][];
            this.tokens = new int[lanes][];
            this.out = new float[lanes][][];
        }

        boolean sameCall(Round o) {
            return key.equals(o.key) && n == o.n && Arrays.equals(experts, o.experts);
        }
    }

    private final MaskedRemoteBackend remote;
    private final int lanes;
    private final MaskPrg permutations = MaskPrg.fresh();
    private Round round;
    private boolean stopped;

    DecoyMixer(MaskedRemoteBackend remote, int decoys) {
        if (decoys < 1) throw new IllegalArgumentException("a decoy mixer needs at least 1 decoy, got " + decoys);
        // lanes meet at every call in lockstep: with fewer than every expert they would call different experts
        if (remote.config().moe() != null && !remote.options().experts().all())
            throw new IllegalArgumentException("decoy sequences on a mixture-of-experts model need every expert called "
                    + "(--moe-experts all), not " + remote.options().experts());
        this.remote = remote;
        this.lanes = decoys + 1;
    }

    /** The backend the forward pass of lane {@code i} uses (0 = the real sequence). */
    LinearBackend lane(int i) {
        return new LinearBackend() {
            @Override
            public ModelConfig config() {
                return remote.config();
            }

            @Override
            public void embed(int[] tokens, float[] out) {
                submit(i, ModelName.EMBED, null, tokens, tokens.length, out);
            }

            @Override
            public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
                submit(i, ModelName.of(Product.of(op), layer), x, null, n, out);
            }

            @Override
            public void applyExperts(LinearOp op, int layer, int[] experts, float[][] x, int[] rows, float[][] out) {
                // every expert has every row (checked above), so each lane sends n rows to each
                for (int r : rows)
                    if (r != rows[0]) throw new IllegalStateException("decoy lanes need every expert on every row");
                Product p = op == LinearOp.GATE_UP ? Product.EXPERT_GATE_UP : Product.EXPERT_DOWN;
                Round mine = new Round(null, new ExpertBatch(p, layer), experts.clone(), rows[0], lanes);
                submit(i, mine, x, null, out);
            }

            @Override
            public void applyQkNorm(int layer, float[] qkv, int n) {
                remote.applyQkNorm(layer, qkv, n); // in the client, on this lane's own rows: no call
            }

            @Override
            public void route(int layer, float[] x, int n, float[] out) {
                submit(i, new ModelName(Product.ROUTER, layer), x, null, n, out);
            }

            @Override
            public void coverExperts(int layer, int n, int k, int experts, int[] chosen, boolean[] sent) {
                remote.coverExperts(layer, n, k, experts, chosen, sent); // every expert (checked above)
            }

            @Override
            public void applyExpert(LinearOp op, int layer, int expert, float[] x, int n, float[] out) {
                Product p = op == LinearOp.GATE_UP ? Product.EXPERT_GATE_UP : Product.EXPERT_DOWN;
                submit(i, new ModelName(p, layer, expert), x, null, n, out);
            }
        };
    }

    /** Ends a generation: decoy lanes still running stop at their next call. */
    synchronized void stop() {
        stopped = true;
        notifyAll();
    }

    /** Starts a generation. */
    synchronized void reset() {
        stopped = false;
        round = null;
    }

    private void submit(int lane, ModelName name, float[] x, int[] tokens, int n, float[] out) {
        submit(lane, new Round(name, null, null, n, lanes), new float[][] {x}, tokens, new float[][] {out});
    }

    /** Lane {@code lane} arrives at the call {@code mine} describes; the last lane to arrive sends the round. */
    private synchronized void submit(int lane, Round mine, float[][] x, int[] tokens, float[][] out) {
        if (stopped) throw new Stopped();
        if (round == null) round = mine;
        Round r = round;
        if (!r.sameCall(mine)) {
            r.failure = new IllegalStateException("decoy lanes diverged: " + mine.key + " with " + mine.n + " rows met "
                    + r.key + " with " + r.n + " rows (decoy prompts must have the real prompt's length)");
            r.done = true;
            round = null;
            notifyAll();
            throw r.failure;
        }
        r.x[lane] = x;
        r.tokens[lane] = tokens;
        r.out[lane] = out;
        if (++r.arrived == lanes) {
            round = null;
            try {
                send(r);
            } catch (RuntimeException e) {
                r.failure = e;
            }
            r.done = true;
            notifyAll();
        }
        while (!r.done) {
            if (stopped && lane != 0) throw new Stopped();
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TalariaException("interrupted while waiting for the decoy lanes", e);
            }
        }
        if (r.failure != null) throw r.failure;
    }

    /**
     * All lanes' rows as one call: row j of the concatenation travels at position perm[j] (a fresh permutation per
     * product, so an expert batch mixes each expert's rows on their own, as separate calls did).
     */
    private void send(Round r) {
        ModelConfig c = remote.config();
        int rows = lanes * r.n;
        if (r.batch != null) {
            int g = r.experts.length, in = r.batch.inDim(c), out = r.batch.outDim(c);
            int[][] perm = new int[g][];
            float[][] x = new float[g][], y = new float[g][];
            int[] n = new int[g];
            for (int i = 0; i < g; i++) {
                perm[i] = permutation(rows);
                x[i] = mix(r, i, in, perm[i]);
                y[i] = new float[rows * out];
                n[i] = rows;
            }
            remote.applyExperts(r.batch.product().op, r.batch.layer(), r.experts, x, n, y);
            for (int i = 0; i < g; i++) unmix(r, i, y[i], out, perm[i]);
            return;
        }
        int[] perm = permutation(rows);
        int out = r.name.outDim(c);
        float[] y = new float[rows * out];
        if (r.name.product() == Product.EMBED) {
            int[] tokens = new int[rows];
            for (int j = 0; j < rows; j++) tokens[perm[j]] = r.tokens[j / r.n][j % r.n];
            remote.embed(tokens, y);
        } else {
            float[] x = mix(r, 0, r.name.inDim(c), perm);
            int layer = Math.max(r.name.layer(), 0);
            if (r.name.product() == Product.ROUTER) remote.route(layer, x, rows, y);
            else if (r.name.product().perExpert())
                remote.applyExpert(r.name.product().op, layer, r.name.expert(), x, rows, y);
            else remote.apply(r.name.product().op, layer, x, rows, y);
        }
        unmix(r, 0, y, out, perm);
    }

    /** The lanes' rows of the round's product {@code p} ({@code in} wide), lane after lane, row j at perm[j]. */
    private float[] mix(Round r, int p, int in, int[] perm) {
        float[] x = new float[perm.length * in];
        for (int j = 0; j < perm.length; j++) System.arraycopy(r.x[j / r.n][p], (j % r.n) * in, x, perm[j] * in, in);
        return x;
    }

    /** Hands each lane its rows of the reply {@code y} to product {@code p}. */
    private void unmix(Round r, int p, float[] y, int out, int[] perm) {
        for (int j = 0; j < perm.length; j++)
            System.arraycopy(y, perm[j] * out, r.out[j / r.n][p], (j % r.n) * out, out);
    }

    /** A uniformly random permutation of {@code rows} (Fisher–Yates on the secret stream). */
    private int[] permutation(int rows) {
        int[] p = new int[rows];
        for (int i = 0; i < rows; i++) p[i] = i;
        for (int i = rows - 1; i > 0; i--) {
            int j = permutations.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
