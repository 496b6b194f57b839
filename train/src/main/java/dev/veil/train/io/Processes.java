package dev.veil.train.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Veil's one home for running another program: an external tool run to completion (npm, apt-get, tar) with any
 * failure turned into one clear {@link IOException}, and the plumbing of the benchmarks that run one themselves (node
 * with llama.cpp, llama-server, rpc-server, the veil launcher): drain its output, wait for it with a deadline, stop
 * it, quote its log when it fails. It lives in {@code train}, the lower of the two modules that run programs (the
 * bench depends on it through the CLI).
 */
public final class Processes {
    private Processes() {}

    /** Runs {@code command} in {@code dir}; returns its stdout. */
    public static String run(Path dir, List<String> command) throws IOException {
        return run(dir, command, null);
    }

    /** Runs {@code command} in {@code dir}, feeding {@code stdin} (may be null); returns its stdout. */
    public static String run(Path dir, List<String> command, InputStream stdin) throws IOException {
        String shown = String.join(" ", command);
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).start();
        } catch (IOException e) {
            throw new IOException(
                    "cannot run `" + shown + "`: is " + command.getFirst() + " installed? (" + e.getMessage() + ")");
        }
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) stdin.transferTo(in);
        } catch (IOException e) {
            // the tool stopped reading: its exit status and stderr say why
        }
        int rc;
        try {
            rc = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running `" + shown + "`");
        }
        String stderr = new String(err.join(), StandardCharsets.UTF_8).strip();
        if (rc != 0) {
            List<String> lines = stderr.lines().toList();
            String tail = String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
            throw new IOException("`" + shown + "` failed (exit " + rc + ")" + (tail.isEmpty() ? "" : ": " + tail));
        }
        return new String(out.join(), StandardCharsets.UTF_8);
    }

    /**
     * All of {@code in} (a process's stdout or stderr), read in the background so that a full pipe never stalls the
     * process; empty when the stream fails. Closes {@code in}.
     */
    public static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
    }

    /**
     * Waits up to {@code timeout} for {@code p} to exit and returns its exit value; kills it and fails naming
     * {@code what} when it does not exit in time, or when the wait is interrupted.
     */
    public static int await(Process p, Duration timeout, String what) throws IOException {
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(what + " did not finish within " + timeout.toSeconds() + " s");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + what, e);
        }
    }

    /** Ends {@code p}: SIGTERM, then SIGKILL when it has not exited after {@code grace}. */
    public static void stop(Process p, Duration grace) {
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS))
                p.destroyForcibly().waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@code lines} lines of a program's log, to quote when it fails. */
    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
