package dev.veil.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
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

    /** In-memory weights over {@code tensors} (a copy of the map, in its iteration order). */
    static Weights of(Map<String, Tensor> tensors) {
        Map<String, Tensor> copy = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        return new Weights() {
            @Override
            public Tensor get(String name) {
                Tensor t = copy.get(name);
                if (t == null) throw new IllegalArgumentException("missing tensor '" + name + "'");
                return t;
            }

            @Override
            public boolean contains(String name) {
                return copy.containsKey(name);
            }

            @Override
            public Set<String> names() {
                return copy.keySet();
            }
        };
    }
}
