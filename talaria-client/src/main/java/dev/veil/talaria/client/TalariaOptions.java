package dev.veil.talaria.client;

import dev.veil.model.ModelConfig;
import dev.veil.model.Records;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.SetupPlan;
import java.util.EnumSet;
import java.util.Set;

/**
 * The client's privacy knobs (docs/talaria.md explains each and what it costs).
 *
 * @param hidden       masks of the hidden-state rows (QKV, O, GATE_UP, DOWN inputs and the LM head)
 * @param embed        masks of the one-hot rows of the embedding product
 * @param maskScale    hidden rows: mask rms per coordinate relative to the L2 norm of the rows being sent (so a
 *                     row of width d gets a mask whose norm is maskScale·√d times its own); {@link #BY_DEPTH}: from the model's depth
 * @param embedScale   one-hot rows: mask rms per coordinate in absolute terms (the one-hot's spike is 1, so the same
 *                     rule as for hidden rows); {@link #BY_DEPTH}: from the model's depth
 * @param refresh      when a new session seed (new M_pub, new pool, new check vectors) is set up
 * @param checkVectors Freivalds vectors per product for the result-integrity check (0 = off)
 * @param localEmbed   the client holds the embedding table (fetched from the vendor's table server) and looks rows up
 *                     itself: no embedding call, no one-hot pool (design D1)
 * @param localHead    the client also computes a tied model's LM head from that table: no LM-head call, no V logits
 *                     on the wire, no LM-head pool
 * @param experts      mixture-of-experts models: which experts each row is sent to ({@link ExpertCover}; default all)
 */
public record TalariaOptions(
        MaskSpec hidden,
        MaskSpec embed,
        double maskScale,
        double embedScale,
        Refresh refresh,
        int checkVectors,
        boolean localEmbed,
        boolean localHead,
        ExpertCover experts) {

    public enum Refresh {
        /**
         * One setup for the backend's lifetime, renewed only when a one-time pool runs out. Cheap, but the cloud sees
         * every row under one M_pub and can estimate its row space once it has more than m rows (docs/talaria.md).
         */
        SESSION,
        /** A new setup (seed) for every request ({@link MaskedRemoteBackend#beginRequest()}): the default. */
        REQUEST
    }

    /** A mask scale (hidden or one-hot) chosen from the model's depth when the backend learns the model: {@link #depthScale}. */
    public static final double BY_DEPTH = Double.NaN;

    /**
     * One-time full-rank pool masks on every row, sized to each request, scaled to the model's depth, a Freivalds
     * check: the most private setting and, per request, the cheapest (docs/talaria.md §4). The paper's ReMO is
     * {@code withHidden(MaskSpec.remo(r))}.
     */
    public static final TalariaOptions DEFAULT =
            new TalariaOptions(MaskSpec.pool(4096), MaskSpec.pool(4096), BY_DEPTH, BY_DEPTH, Refresh.REQUEST, 1);

    /**
     * The default scale s per view. A cloud that combines a position's 4L + 2 masked views (the one-hot, four products
     * per layer, the LM head) gets from each a Gaussian log-likelihood whose separation between two tokens is about
     * ‖x_v − x_w‖² / σ² ≤ 2/s² for rows of equal norm (σ = s × the row's norm; a one-hot's norm is 1): evidence adds
     * over views, so s grows as the square root of their number to keep the sum what {@link #PER_VIEW} allows — the
     * joint attack of {@code veil audit} measured at that point (docs/talaria.md §4 D4).
     */
    public static double depthScale(ModelConfig c) {
        return PER_VIEW * Math.sqrt(4.0 * c.numLayers() + 2);
    }

    /** s / √(views per position) of the default (calibrated with the joint attack on the bundled model). */
    public static final double PER_VIEW = 2.0;

    public TalariaOptions {
        if (!Double.isNaN(maskScale) && (!(maskScale > 0) || Double.isInfinite(maskScale)))
            throw new IllegalArgumentException("mask scale must be > 0, got " + maskScale);
        if (!Double.isNaN(embedScale) && (!(embedScale > 0) || Double.isInfinite(embedScale)))
            throw new IllegalArgumentException("embed mask scale must be > 0, got " + embedScale);
        if (experts == null) throw new IllegalArgumentException("expert cover must be given (ExpertCover.ALL)");
        if (checkVectors < 0) throw new IllegalArgumentException("check vectors must be >= 0, got " + checkVectors);
    }

    /** These options with every {@link #BY_DEPTH} scale replaced by {@link #depthScale} of {@code c}. */
    public TalariaOptions resolve(ModelConfig c) {
        return new TalariaOptions(
                hidden,
                embed,
                Double.isNaN(maskScale) ? depthScale(c) : maskScale,
                Double.isNaN(embedScale) ? depthScale(c) : embedScale,
                refresh,
                checkVectors,
                localEmbed,
                localHead,
                experts);
    }

    public TalariaOptions(
            MaskSpec hidden, MaskSpec embed, double maskScale, double embedScale, Refresh refresh, int checkVectors) {
        this(hidden, embed, maskScale, embedScale, refresh, checkVectors, false, false, ExpertCover.ALL);
    }

    public SetupPlan plan() {
        Set<Product> local = EnumSet.noneOf(Product.class);
        if (localEmbed) local.add(Product.EMBED);
        if (localHead) local.add(Product.LM_HEAD);
        return new SetupPlan(hidden, embed, checkVectors, local);
    }

    /** Whether the client needs the embedding table from the vendor's table server. */
    public boolean needsTable() {
        return localEmbed || localHead;
    }

    /** The client looks embedding rows up itself ({@code embed}) and computes a tied LM head itself ({@code head}). */
    public TalariaOptions withLocal(boolean embed, boolean head) {
        return Records.with(this, "localEmbed", embed, "localHead", head);
    }

    public TalariaOptions withHidden(MaskSpec m) {
        return Records.with(this, "hidden", m);
    }

    public TalariaOptions withEmbed(MaskSpec m) {
        return Records.with(this, "embed", m);
    }

    public TalariaOptions withMaskScale(double s) {
        return Records.with(this, "maskScale", s);
    }

    public TalariaOptions withEmbedScale(double s) {
        return Records.with(this, "embedScale", s);
    }

    public TalariaOptions withRefresh(Refresh r) {
        return Records.with(this, "refresh", r);
    }

    public TalariaOptions withCheckVectors(int k) {
        return Records.with(this, "checkVectors", k);
    }

    /** MoE models: which experts each row is sent to. */
    public TalariaOptions withExperts(ExpertCover e) {
        return Records.with(this, "experts", e);
    }

    /** No masks, no check: rows in the clear. A measurement baseline, not a private mode. */
    public static TalariaOptions plaintext() {
        return new TalariaOptions(MaskSpec.NONE, MaskSpec.NONE, 1.0, 1.0, Refresh.SESSION, 0);
    }
}
