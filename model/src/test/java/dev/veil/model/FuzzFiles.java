package dev.veil.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The scratch file (or folder) a fuzz target rewrites for every input: the readers under test take paths. */
public final class FuzzFiles {
    private FuzzFiles() {}

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
