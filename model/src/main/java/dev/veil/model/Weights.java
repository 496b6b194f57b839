package dev.veil.model;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * A model's tensors by Hugging Face name ({@code model.layers.0.self_attn.q_proj.weight}, ...), in the
 * Hugging Face layout, whatever file they came from. Tensors stay valid until {@link #close()}.
 */
public interface Weights extends AutoCloseable {

    /** The tensor, or an {@link IllegalArgumentException} naming the missing tensor. */
    Tensor get(String name);

    /**
     * The tensor, checked to have exactly the shape {@code expected}: the one shape check of callers that read a
     * weight by its known shape (an {@link IllegalArgumentException} "tensor NAME has shape [..], expected [..]").
     */
    default Tensor shaped(String name, long... expected) {
        Tensor t = get(name);
        if (!Arrays.equals(t.shape(), expected))
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expected));
        return t;
    }

    default boolean contains(String name) {
        return names().contains(name);
    }

    Set<String> names();

    @Override
    default void close() {}

    /** In-memory weights over {@code tensors} (a copy of the map, in its iteration order). */
    static Weights of(Map<String, Tensor> tensors) {
        return new InMemoryWeights(tensors);
    }
}
