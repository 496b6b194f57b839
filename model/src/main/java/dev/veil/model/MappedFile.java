package dev.veil.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How the model file readers (GGUF, safetensors) map a file: read-only, in a shared arena that the reader owns and
 * closes, or that is closed here when reading fails.
 */
public final class MappedFile {

    private MappedFile() {}

    /** Reads a mapped file into a reader that owns {@code arena} from then on. */
    public interface Reader<T> {
        T read(Path path, Arena arena, MemorySegment data) throws IOException;
    }

    /** Maps {@code path} and hands it to {@code reader}; a missing file is an IOException naming it. */
    public static <T> T open(Path path, Reader<T> reader) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return reader.read(path, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new IOException(path + ": no such file");
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }
}
