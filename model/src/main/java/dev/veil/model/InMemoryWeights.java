package dev.veil.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Tensors held in memory, in the order they came: {@link Weights#of}'s weights, and a {@link TensorSink} that collects
 * what a compiler writes (AloePri's obfuscator, the attacks' merges) to be read back as {@link Weights}. Thread-safe.
 */
public final class InMemoryWeights implements Weights, TensorSink {

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    public InMemoryWeights() {}

    /** Weights over a copy of {@code tensors}. */
    public InMemoryWeights(Map<String, Tensor> tensors) {
        this.tensors.putAll(tensors);
    }

    /** Adds {@code tensor}; a second tensor of the same name is refused. */
    @Override
    public synchronized void write(Tensor tensor) {
        if (tensors.putIfAbsent(tensor.name(), tensor) != null)
            throw new IllegalArgumentException("tensor " + tensor.name() + " written twice");
    }

    @Override
    public synchronized Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("missing tensor '" + name + "'");
        return t;
    }

    @Override
    public synchronized boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public synchronized Set<String> names() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(tensors.keySet()));
    }

    @Override
    public void close() {}
}
