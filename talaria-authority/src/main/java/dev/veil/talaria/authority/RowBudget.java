package dev.veil.talaria.authority;

/**
 * How many input directions of one weight product a client may receive over all its setups (ReMO basis rows, pool rows
 * and check vectors: {@link SetupAuthority#directions}). The default, d_in − 1 for a product of input width d_in, is the
 * most that cannot determine W: with d_in independent directions r_j and their products r_j·Wᵀ the client solves for W.
 *
 * @param directions the cap for every product, or {@link #DEFAULT_CAP} for d_in − 1, or {@link Long#MAX_VALUE}
 */
public record RowBudget(long directions) {

    static final long DEFAULT_CAP = -1;

    /** d_in − 1 per product: the client never holds enough to solve for W. */
    public static final RowBudget DEFAULT = new RowBudget(DEFAULT_CAP);
    /** No cap: model IP then rests on the client's attestation alone (only an attested client image gets a token). */
    public static final RowBudget UNLIMITED = new RowBudget(Long.MAX_VALUE);

    public RowBudget {
        if (directions < 0 && directions != DEFAULT_CAP)
            throw new IllegalArgumentException("row budget must be >= 0, got " + directions);
    }

    /** The cap for a product of input width {@code inDim}. */
    public long capFor(int inDim) {
        return directions == DEFAULT_CAP ? inDim - 1L : directions;
    }

    /** Parses {@code default}, {@code unlimited} or a number of directions. */
    public static RowBudget parse(String s) {
        return switch (s.trim()) {
            case "default" -> DEFAULT;
            case "unlimited" -> UNLIMITED;
            default -> {
                try {
                    yield new RowBudget(Long.parseLong(s.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "row budget must be a number, 'default' (d_in - 1 per product) or 'unlimited', not '" + s
                                    + "'");
                }
            }
        };
    }

    @Override
    public String toString() {
        return directions == DEFAULT_CAP
                ? "default"
                : directions == Long.MAX_VALUE ? "unlimited" : Long.toString(directions);
    }
}
