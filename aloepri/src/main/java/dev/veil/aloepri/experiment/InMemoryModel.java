package dev.veil.aloepri.experiment;

import dev.veil.aloepri.ModelObfuscator;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSink;
import dev.veil.model.Weights;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A model held in memory: the sink {@link ModelObfuscator#write} streams into, read back as {@link Weights}. For
 * experiments that obfuscate a small model many times and run it at once, without writing it to disk.
 */
public final class InMemoryModel implements TensorSink, Weights {

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    @Override
    public void write(Tensor tensor) {
        if (tensors.putIfAbsent(tensor.name(), tensor) != null)
            throw new IllegalArgumentException("tensor " + tensor.name() + " written twice");
    }

    @Override
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor " + name + " in the in-memory model");
        return t;
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public void close() {}

    /** Obfuscates {@code plain} with {@code obfuscator} into a new in-memory model. */
    public static InMemoryModel obfuscate(ModelObfuscator obfuscator, Weights plain) throws IOException {
        InMemoryModel m = new InMemoryModel();
        obfuscator.write(plain, m);
        return m;
    }
}
