package dev.veil.verify;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.bench.LlamaCpp;
import dev.veil.model.DType;
import dev.veil.model.VeilCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llama.cpp oracle fails loudly and clearly: a missing fixture, a missing or corrupt GGUF. */
class LlamaCppRunnerTest {
    @TempDir
    Path tmp;

    @Test
    void missingNodeLlamaCppNamesTheFixtureAndTheFetchScript() {
        assertThatThrownBy(() -> LlamaCpp.locate(tmp))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(
                        tmp.resolve("node/node_modules/node-llama-cpp").toString())
                .hasMessageContaining("scripts/fetch-fixtures.sh");
    }

    @Test
    void missingGgufIsAnIOExceptionNamingTheFile() throws IOException {
        LlamaCpp llama = LlamaCpp.locate(VeilCache.dir());
        Path missing = tmp.resolve("absent.gguf");
        assertThatThrownBy(() -> llama.run(request(missing), Duration.ofMinutes(1)))
                .isInstanceOf(IOException.class)
                .hasMessage(missing + ": no such GGUF file");
    }

    @Test
    void corruptGgufFailsAtOnceNamingTheFile() throws IOException {
        LlamaCpp llama = LlamaCpp.locate(VeilCache.dir());
        Path corrupt = Files.write(tmp.resolve("corrupt.gguf"), "GGUF but not really".getBytes());
        assertThatThrownBy(() -> llama.run(request(corrupt), Duration.ofMinutes(1)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(corrupt.toString());
    }

    @Test
    void llamaCppsOwnErrorsComeBackAsOneIOException() throws IOException {
        // A valid file, but a context of 0 tokens cannot hold the prompt ("Failed to free up space for new tokens").
        Fixture f = Fixture.create(Shapes.LLAMA_MHA, DType.F32, tmp);
        LlamaCpp llama = LlamaCpp.locate(VeilCache.dir());
        var request = new LlamaCpp.Request(f.gguf(), 1, 0, List.of(new int[] {1}), true, 0, null);
        assertThatThrownBy(() -> llama.run(request, Duration.ofMinutes(1)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("llama.cpp on " + f.gguf() + " failed (exit 2): llama-cpp.mjs: ");
    }

    private static LlamaCpp.Request request(Path gguf) {
        return new LlamaCpp.Request(gguf, 1, 64, List.of(new int[] {1, 2, 3}), true, 0, null);
    }
}
