package dev.veil.attack.capture;

import dev.veil.model.Tensor;
import dev.veil.model.TensorSink;
import dev.veil.model.Weights;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Weights held in memory; also a {@link TensorSink} that collects what a compiler writes. */
public final class InMemoryWeights implements Weights, TensorSink {

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    public InMemoryWeights() {}

    public InMemoryWeights(Iterable<Tensor> ts) {
        for (Tensor t : ts) tensors.put(t.name(), t);
    }

    @Override
    public synchronized void write(Tensor tensor) {
        tensors.put(tensor.name(), tensor);
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
