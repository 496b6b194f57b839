package dev.veil.model;

import java.util.Set;

/**
 * A model's tensors by Hugging Face name ({@code model.layers.0.self_attn.q_proj.weight}, ...), in the
 * Hugging Face layout, whatever file they came from. Tensors stay valid until {@link #close()}.
 */
public interface Weights extends AutoCloseable {

    /** The tensor, or an {@link IllegalArgumentException} naming the missing tensor. */
    Tensor get(String name);

    boolean contains(String name);

    Set<String> names();

    @Override
    default void close() {}
}
