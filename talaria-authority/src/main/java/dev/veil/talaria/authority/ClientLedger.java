package dev.veil.talaria.authority;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.V2Error;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.SetupPlan;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What the setup authority has handed each client: per product, the input directions of the weights its bundles
 * revealed ({@link SetupAuthority#directions}), against the client's {@link RowBudget}; and a token bucket of setups per
 * minute. Kept in memory only: a restart forgets it (persisting it is future work), so an operator who restarts the
 * authority should also rotate the clients' tokens.
 */
final class ClientLedger {

    private final Map<String, Map<ModelName, Long>> handedOut = new HashMap<>();
    private final Map<String, double[]> buckets = new HashMap<>(); // {tokens, nanoTime of the last refill}
    private final double setupsPerMinute;
    private final LongSupplier nanoClock;

    /** @param setupsPerMinute each client's sustained rate and burst; 0 = no limit */
    ClientLedger(double setupsPerMinute, LongSupplier nanoClock) {
        this.setupsPerMinute = setupsPerMinute;
        this.nanoClock = nanoClock;
    }

    /** Takes one setup from the client's bucket, or refuses with 429 and when to retry. */
    synchronized void takeSetup(String client) throws V2Error {
        if (setupsPerMinute <= 0) return;
        long now = nanoClock.getAsLong();
        double[] b = buckets.computeIfAbsent(client, c -> new double[] {setupsPerMinute, now});
        b[0] = Math.min(setupsPerMinute, b[0] + (now - b[1]) * setupsPerMinute / 60e9);
        b[1] = now;
        if (b[0] < 1) {
            long waitSeconds = (long) Math.ceil((1 - b[0]) * 60 / setupsPerMinute);
            throw new V2Error(
                    429,
                    String.format(
                            "client '%s' asked for more than %s setups a minute; retry in %d s",
                            client, fmt(setupsPerMinute), waitSeconds),
                    Map.of("Retry-After", Long.toString(waitSeconds)));
        }
        b[0] -= 1;
    }

    /**
     * Records the directions {@code plan} hands to {@code client}, or refuses with 403 — before any work — when any product
     * would go over the client's cap, naming the product, what the client already holds, the cap and why.
     *
     * @return what was recorded, for {@link #refund} if the setup then fails
     */
    synchronized Map<ModelName, Long> reserve(String client, ModelConfig config, SetupPlan plan, RowBudget budget)
            throws V2Error {
        Map<ModelName, Long> held = handedOut.computeIfAbsent(client, c -> new HashMap<>());
        Map<ModelName, Long> wants = new LinkedHashMap<>();
        for (ModelName n : ModelName.all(config)) {
            long add = SetupAuthority.directions(n, config, plan), has = held.getOrDefault(n, 0L);
            long cap = budget.capFor(n.inDim(config));
            if (add > 0 && has + add > cap)
                throw new V2Error(
                        403,
                        String.format(
                                "client '%s' has received %d input directions of %s's weights (d_in = %d) "
                                        + "and this setup would add %d, over its cap of %d: %s Ask for fewer rows (shorter requests, or "
                                        + "--check-vectors 0), or ask the operator for a larger --row-budget (for an attested client, whose "
                                        + "image is trusted not to extract the weights).",
                                client,
                                has,
                                n,
                                n.inDim(config),
                                add,
                                cap,
                                budget.directions() == RowBudget.DEFAULT_CAP
                                        ? "with d_in independent directions and their products a client can solve for W, so the "
                                                + "default cap is d_in - 1."
                                        : "the operator set this cap."));
            if (add > 0) wants.put(n, add);
        }
        wants.forEach((n, add) -> held.merge(n, add, Long::sum));
        return wants;
    }

    /** Gives back directions recorded for a setup that produced nothing. */
    synchronized void refund(String client, Map<ModelName, Long> reserved) {
        Map<ModelName, Long> held = handedOut.get(client);
        reserved.forEach((n, add) -> held.merge(n, -add, Long::sum));
    }

    /** Directions of product {@code n} handed to {@code client} so far. */
    synchronized long handedOut(String client, ModelName n) {
        return handedOut.getOrDefault(client, Map.of()).getOrDefault(n, 0L);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
