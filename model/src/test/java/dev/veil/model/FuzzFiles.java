package dev.veil.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The scratch file (or folder) a fuzz target rewrites for every input: the readers under test take paths. */
public final class FuzzFiles {
    private FuzzFiles() {}

    /** Opens a file the way a reader does. */
    public interface Opener<T> {
        T open(Path file) throws IOException;
    }

    /** What a fuzz target checks of a reader that opened its input. */
    public interface Check<T> {
        void check(T reader) throws IOException;
    }

    /**
     * Writes {@code data} to {@code file} and opens it: a reader that opened is checked and closed; otherwise the reader
     * must have refused the bytes with the one failure it may give, an IOException whose message starts with the path.
     */
    public static <T extends AutoCloseable> void checkOpened(Path file, byte[] data, Opener<T> opener, Check<T> check)
            throws Exception {
        Files.write(file, data);
        T reader;
        try {
            reader = opener.open(file);
        } catch (IOException e) {
            if (!e.getMessage().startsWith(file + ": ")) throw new AssertionError("message without the path", e);
            return;
        }
        try (reader) {
            check.check(reader);
        }
    }

    public static Path temp(String prefix, String suffix) {
        try {
            Path p = Files.createTempFile(prefix, suffix);
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A folder; the caller's files in it are left for the OS's temp cleanup. */
    public static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
