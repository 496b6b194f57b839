package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a test waits for scripts/build-llama.sh: not at all without a build, a bounded time while one runs. */
class LlamaServerBinariesTest {

    @TempDir
    Path dir;

    @Test
    void withoutAStampOrARunningBuildItFailsAtOnceSayingHowToBuild() throws Exception {
        long t0 = System.nanoTime();
        var e = catchThrowableOfType(
                IllegalStateException.class, () -> LlamaServer.binaries(dir, Duration.ofMinutes(10)));
        assertThat(e.getMessage()).contains("is not built", "no build is running", "scripts/build-llama.sh");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMinutes(1));
        // a .pid of a process that has ended is no running build
        Files.writeString(dir.resolve(".pid"), "2147483646\n");
        e = catchThrowableOfType(IllegalStateException.class, () -> LlamaServer.binaries(dir, Duration.ofMinutes(10)));
        assertThat(e.getMessage()).contains("no build is running");
    }

    @Test
    void whileABuildRunsItWaitsForTheStampUpToTheLimit() throws Exception {
        Files.writeString(dir.resolve(".pid"), ProcessHandle.current().pid() + "\n"); // a live process: "building"
        var e = catchThrowableOfType(
                IllegalStateException.class, () -> LlamaServer.binaries(dir, Duration.ofSeconds(1)));
        assertThat(e.getMessage()).contains("did not finish within 1 s", "build.log");
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(500);
                Files.writeString(dir.resolve(".done"), "stamp\n");
            } catch (Exception ignored) {
                // the assertion below fails
            }
        });
        assertThat(LlamaServer.binaries(dir, Duration.ofSeconds(30))).isEqualTo(dir);
    }
}
