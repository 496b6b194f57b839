package dev.veil.model;

import java.io.IOException;

/**
 * A writer that takes tensors one at a time in a layout fixed up front, so that a model of any size streams to
 * disk in bounded memory. {@link #close()} fails (and leaves no output) unless every announced tensor was written
 * (the file writers' {@link PartialFile}).
 */
public interface TensorSink extends AutoCloseable {

    /** Writes the next tensor; its name, dtype and shape must match the next announced {@link TensorSpec}. */
    void write(Tensor tensor) throws IOException;

    @Override
    void close() throws IOException;
}
