package dev.veil.train.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs an external tool (npm, apt-get, tar) and turns any failure into one clear {@link IOException}. */
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
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
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

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
