package dev.veil.train.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessesTest {

    @TempDir
    Path dir;

    @Test
    void runFeedsStdinAndReturnsStdout() throws IOException {
        byte[] in = "one\ntwo\n".getBytes(StandardCharsets.UTF_8);
        assertThat(Processes.run(dir, List.of("sh", "-c", "tr a-z A-Z; pwd"), new ByteArrayInputStream(in)))
                .isEqualTo("ONE\nTWO\n" + dir.toRealPath() + "\n");
    }

    @Test
    void aFailureNamesTheCommandTheExitAndTheLastLinesOfStderr() {
        assertThatThrownBy(() -> Processes.run(dir, List.of("sh", "-c", "printf 'a\\nb\\nc\\nd\\n' >&2; exit 3")))
                .isInstanceOf(IOException.class)
                .hasMessage("`sh -c printf 'a\\nb\\nc\\nd\\n' >&2; exit 3` failed (exit 3): b | c | d");
        assertThatThrownBy(() -> Processes.run(dir, List.of("veil-no-such-program")))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot run `veil-no-such-program`: is veil-no-such-program installed?");
    }

    @Test
    void awaitReturnsTheExitValueAndKillsWhatOverruns() throws IOException {
        Process quick = new ProcessBuilder("sh", "-c", "echo out; exit 5").start();
        var out = Processes.drain(quick.getInputStream());
        assertThat(Processes.await(quick, Duration.ofSeconds(60), "quick")).isEqualTo(5);
        assertThat(new String(out.join(), StandardCharsets.UTF_8)).isEqualTo("out\n");

        Process slow = new ProcessBuilder("sleep", "60").start();
        assertThatThrownBy(() -> Processes.await(slow, Duration.ofMillis(100), "the sleeper"))
                .isInstanceOf(IOException.class)
                .hasMessage("the sleeper did not finish within 0 s");
        assertThat(slow.onExit().join().isAlive()).isFalse();
    }

    @Test
    void stopEndsAProcessAndTailQuotesTheLog() throws IOException {
        Process p = new ProcessBuilder("sleep", "60").start();
        Processes.stop(p, Duration.ofSeconds(10));
        assertThat(p.isAlive()).isFalse();

        Path log = Files.writeString(dir.resolve("log"), "1\n2\n3\n4\n");
        assertThat(Processes.tail(log, 2)).isEqualTo("3\n4");
        assertThat(Processes.tail(log, 10)).isEqualTo("1\n2\n3\n4");
        assertThat(Processes.tail(dir.resolve("missing"), 2)).startsWith("(unreadable: ");
    }
}
