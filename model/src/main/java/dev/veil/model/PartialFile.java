package dev.veil.model;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The file a {@link TensorSink} streams into, one home for what the GGUF and safetensors writers share (they differ
 * in header and padding only): a temporary sibling {@code NAME.partial} written in order, the announced tensors
 * checked one by one as they come, and on {@link #close()} the file on disk and renamed onto its path when all were
 * written — else deleted, with an error naming the first missing tensor (nothing is saved).
 */
public final class PartialFile implements Closeable {

    private final Path path;
    private final Path temp;
    private final List<TensorSpec> specs;
    private final FileChannel out;
    private long position;
    private int next;
    private boolean closed;

    /** Opens the temporary sibling of {@code path} (creating its folder) for a file that holds {@code specs}. */
    public PartialFile(Path path, List<TensorSpec> specs) throws IOException {
        this.path = path;
        this.specs = List.copyOf(specs);
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        this.temp = parent.resolve(path.getFileName() + ".partial");
        this.out = FileChannel.open(
                temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    /** Bytes written so far. */
    public long position() {
        return position;
    }

    /** Writes all of {@code buf} (a header, padding). */
    public void write(ByteBuffer buf) throws IOException {
        position += buf.remaining();
        while (buf.hasRemaining()) out.write(buf);
    }

    /**
     * Writes {@code tensor}'s bytes once checked: the file is open, not more tensors than announced, and its name,
     * dtype and shape those of the one announced next.
     */
    public void writeTensor(Tensor tensor) throws IOException {
        if (closed) throw new IllegalStateException(path + ": writer is closed");
        if (next >= specs.size())
            throw new IllegalArgumentException(
                    path + ": tensor " + tensor + " is more than the " + specs.size() + " announced");
        TensorSpec expected = specs.get(next);
        if (!expected.matches(tensor))
            throw new IllegalArgumentException(path + ": expected tensor " + expected + " next, got " + tensor);
        // in slices: a ByteBuffer view is limited to 2 GB
        final long chunk = 1L << 26;
        MemorySegment data = tensor.data();
        for (long off = 0; off < data.byteSize(); off += chunk)
            write(data.asSlice(off, Math.min(chunk, data.byteSize() - off)).asByteBuffer());
        next++;
    }

    /** Renames the finished file into place, or deletes it and fails if tensors are missing. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        // on disk before the rename: otherwise a crash soon after could leave the new name on a file not yet written
        if (next == specs.size()) out.force(true);
        out.close();
        if (next < specs.size()) {
            Files.deleteIfExists(temp);
            throw new IOException(path + ": only " + next + " of " + specs.size() + " tensors were written (next: "
                    + specs.get(next).name() + "); nothing was saved");
        }
        Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
