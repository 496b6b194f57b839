package dev.veil.attack.capture;

import java.util.List;
import java.util.Map;

/**
 * What the server saw of one request.
 *
 * @param calls   the seam crossings in arrival order (Talaria: every infer call the cloud answered; AloePri with an
 *                instrumented server: every product the engine computed)
 * @param tensors the rows of each crossing, concatenated per key in arrival order: {@code in/<product>} for what was
 *                sent into a product, {@code out/<product>} for what it returned (recorded only by an instrumented
 *                AloePri server, which computes them itself)
 * @param idsIn   AloePri: the obfuscated prompt ids the server received (empty for Talaria)
 * @param idsOut  AloePri: the obfuscated ids it generated
 */
public record Request(int index, List<Call> calls, Map<String, Rows> tensors, int[] idsIn, int[] idsOut) {

    public Request {
        calls = List.copyOf(calls);
        tensors = Map.copyOf(tensors);
        idsIn = idsIn.clone();
        idsOut = idsOut.clone();
    }

    /** The rows recorded under {@code key}, or an {@link IllegalArgumentException} naming what is there. */
    public Rows rows(String key) {
        Rows r = tensors.get(key);
        if (r == null)
            throw new IllegalArgumentException("request " + index + " has no rows '" + key + "' (it has "
                    + tensors.keySet().stream().sorted().toList() + ")");
        return r;
    }

    public boolean has(String key) {
        return tensors.containsKey(key);
    }

    /** The rows sent into product {@code name} ({@code in/<name>}). */
    public Rows in(String name) {
        return rows("in/" + name);
    }

    /** The rows product {@code name} returned ({@code out/<name>}). */
    public Rows out(String name) {
        return rows("out/" + name);
    }
}
