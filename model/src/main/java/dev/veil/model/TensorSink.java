package dev.veil.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A writer that takes tensors one at a time in a layout fixed up front, so that a model of any size streams to
 * disk in bounded memory. {@link #close()} fails (and leaves no output) unless every announced tensor was written.
 */
public interface TensorSink extends AutoCloseable {

    /** Writes the next tensor; its name, dtype and shape must match the next announced {@link TensorSpec}. */
    void write(Tensor tensor) throws IOException;

    @Override
    void close() throws IOException;

    /**
     * The checks every sink makes before it writes {@code tensor} to {@code path}: not closed, not more tensors than
     * announced in {@code specs}, and the one announced {@code next}.
     */
    static void checkNext(Path path, boolean closed, List<TensorSpec> specs, int next, Tensor tensor) {
        if (closed) throw new IllegalStateException(path + ": writer is closed");
        if (next >= specs.size())
            throw new IllegalArgumentException(
                    path + ": tensor " + tensor + " is more than the " + specs.size() + " announced");
        TensorSpec expected = specs.get(next);
        if (!expected.matches(tensor))
            throw new IllegalArgumentException(path + ": expected tensor " + expected + " next, got " + tensor);
    }

    /**
     * How every sink that writes into a temporary sibling ends: {@code temp} renamed onto {@code path} when all
     * {@code specs} were written, else deleted and an error naming the first missing tensor (nothing is saved).
     */
    static void commit(Path temp, Path path, List<TensorSpec> specs, int next) throws IOException {
        if (next < specs.size()) {
            Files.deleteIfExists(temp);
            throw new IOException(path + ": only " + next + " of " + specs.size() + " tensors were written (next: "
                    + specs.get(next).name() + "); nothing was saved");
        }
        Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
