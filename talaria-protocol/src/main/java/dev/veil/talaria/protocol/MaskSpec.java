package dev.veil.talaria.protocol;

import java.util.Locale;

/**
 * How the rows sent for one kind of product are masked.
 *
 * <ul>
 *   <li>{@link Kind#REMO}: the paper's ReMO — additive mask M_pvt·M_pub, M_pub of rank m = ⌈rank·d_in⌉ &lt; d_in fixed
 *       for the session, fresh coefficients M_pvt every call; unmasked with R_pub = M_pub·Wᵀ.</li>
 *   <li>{@link Kind#POOL}: one-time full-rank masks — row j of a setup-phase pool of {@code poolRows} Gaussian rows r_j,
 *       each used once, unmasked with u_j = r_j·Wᵀ.</li>
 *   <li>{@link Kind#NONE}: rows travel in the clear (a baseline for measurements; not private).</li>
 * </ul>
 */
public record MaskSpec(Kind kind, double rank, int poolRows) {

    public enum Kind {
        NONE,
        REMO,
        POOL
    }

    public MaskSpec {
        switch (kind) {
            case REMO -> {
                if (!(rank > 0 && rank < 1))
                    throw new IllegalArgumentException("ReMO rank m/d must be in (0, 1), got " + rank);
            }
            case POOL -> {
                if (poolRows < 1) throw new IllegalArgumentException("mask pool needs at least 1 row, got " + poolRows);
            }
            case NONE -> {}
        }
    }

    public static final MaskSpec NONE = new MaskSpec(Kind.NONE, 0, 0);

    public static MaskSpec remo(double rank) {
        return new MaskSpec(Kind.REMO, rank, 0);
    }

    public static MaskSpec pool(int rows) {
        return new MaskSpec(Kind.POOL, 0, rows);
    }

    /** A pool of at most {@code rows} rows (a request that needs fewer rows than the pool asks for fewer); others unchanged. */
    public MaskSpec capPool(int rows) {
        return kind == Kind.POOL && rows < poolRows ? pool(Math.max(rows, 1)) : this;
    }

    /** m for an input width: ⌈rank·d_in⌉, at least 1 and at most d_in − 1. */
    public int rankFor(int inDim) {
        if (kind != Kind.REMO) return 0;
        return Math.clamp((long) Math.ceil(rank * inDim), 1, inDim - 1);
    }

    /** Parses {@code none}, {@code remo:0.5} or {@code pool:1024}. */
    public static MaskSpec parse(String s) {
        String[] p = s.trim().toLowerCase(Locale.ROOT).split(":", 2);
        try {
            return switch (p[0]) {
                case "none" -> NONE;
                case "remo" -> remo(p.length > 1 ? Double.parseDouble(p[1]) : 0.5);
                case "pool" -> pool(p.length > 1 ? Integer.parseInt(p[1]) : 1024);
                default ->
                    throw new IllegalArgumentException("unknown mask '" + s + "' (none, remo:M_OVER_D, pool:ROWS)");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in mask '" + s + "' (none, remo:M_OVER_D, pool:ROWS)");
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case REMO -> "remo:" + rank;
            case POOL -> "pool:" + poolRows;
        };
    }
}
