package dev.veil.gateway;

import java.util.List;

/**
 * What the untrusted side received and returned during one turn, for the chat page and audits: for AloePri the
 * obfuscated prompt ids sent and the obfuscated ids it generated; for Talaria the masked tensors' shapes.
 *
 * @param mode          {@code "aloepri"} or {@code "talaria"}
 * @param promptIds     ids the untrusted side received (empty when it receives none)
 * @param generatedIds  ids the untrusted side returned
 * @param tensors       masked tensors exchanged (Talaria), by product
 */
public record UntrustedView(String mode, int[] promptIds, int[] generatedIds, List<Tensors> tensors) {

    /** {@code count} exchanges of a {@code rows × cols} masked tensor for one kind of weight product. */
    public record Tensors(String product, int rows, int cols, long count) {}

    public UntrustedView {
        promptIds = promptIds.clone();
        generatedIds = generatedIds.clone();
        tensors = List.copyOf(tensors);
    }
}
