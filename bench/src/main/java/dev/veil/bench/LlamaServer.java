package dev.veil.bench;

import dev.veil.model.VeilCache;
import dev.veil.train.io.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Stock llama.cpp {@code llama-server} (and {@code rpc-server}) as a child process on loopback, from the binaries
 * {@code scripts/build-llama.sh} builds into {@code <cache>/llama-bin}. Its whole log (stdout and stderr) goes to a
 * file, so tests can read what the untrusted server wrote.
 *
 * <p>The fixture step builds the binaries in the background; {@link #binaries(Duration)} waits for the build's
 * {@code .done} stamp while a build holds its lock, and fails at once, saying how to build, when none is running.
 */
public final class LlamaServer implements AutoCloseable {

    /** Longest wait for a running build: {@code -Dveil.llama.wait=MINUTES}, default 45. */
    public static Duration defaultWait() {
        return Duration.ofMinutes(Long.getLong("veil.llama.wait", 45));
    }

    /**
     * The directory holding {@code llama-server}, {@code llama-quantize} and {@code rpc-server}, waiting up to
     * {@code wait} for a build in progress.
     */
    public static Path binaries(Duration wait) throws IOException {
        return binaries(VeilCache.dir().resolve("llama-bin"), wait);
    }

    /** {@link #binaries(Duration)} for the build folder {@code dir}. */
    static Path binaries(Path dir, Duration wait) throws IOException {
        Path stamp = dir.resolve(".done");
        long deadline = System.nanoTime() + wait.toNanos();
        long nextNote = 0;
        while (!Files.exists(stamp)) {
            if (!building(dir))
                throw new IllegalStateException(
                        "llama.cpp's llama-server is not built in " + dir
                                + " and no build is running: run scripts/build-llama.sh (15-30 min on 2 cores, once per cache)");
            if (System.nanoTime() > deadline)
                throw new IllegalStateException("llama.cpp's build in " + dir + " did not finish within "
                        + wait.toSeconds() + " s (-Dveil.llama.wait=MINUTES); log: " + dir.resolve("build.log"));
            if (System.nanoTime() > nextNote) {
                System.out.println("waiting for llama.cpp's build (scripts/build-llama.sh): "
                        + lastLine(dir.resolve("build.log")));
                nextNote = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for llama.cpp's build", e);
            }
        }
        return dir;
    }

    /** Whether build-llama.sh is running: it keeps its process id in {@code .pid} while it builds. */
    private static boolean building(Path dir) {
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve(".pid")).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "(starting)" : lines.getLast();
        } catch (IOException | UncheckedIOException e) {
            return "(no log yet)";
        }
    }

    /**
     * How to run it.
     *
     * @param slots      parallel sequences ({@code -np})
     * @param slotContext context per sequence (the server gets {@code slots × slotContext})
     * @param threads    CPU threads for generation and prompt processing
     * @param rpc        {@code host:port} of rpc-server processes to spread the model over ({@code --rpc}), or empty
     * @param verbose    log everything ({@code -v}: requests, each generated id)
     */
    public record Options(int slots, int slotContext, int threads, List<String> rpc, boolean verbose) {
        /** One thread: llama.cpp's threads spin at barriers, which costs much on a busy shared machine for a tiny model. */
        public static Options of(int slots, int slotContext) {
            return new Options(slots, slotContext, 1, List.of(), false);
        }

        /** The model's layers on these rpc-servers ({@code --rpc}, all layers offloaded: {@code -ngl 999}). */
        public Options withRpc(List<String> servers) {
            return new Options(slots, slotContext, threads, List.copyOf(servers), verbose);
        }

        public Options withThreads(int t) {
            return new Options(slots, slotContext, t, rpc, verbose);
        }

        public Options withVerbose() {
            return new Options(slots, slotContext, threads, rpc, true);
        }
    }

    private final Process process;
    private final URI uri;
    private final Path log;

    private LlamaServer(Process process, URI uri, Path log) {
        this.process = process;
        this.uri = uri;
        this.log = log;
    }

    /** Starts llama-server on {@code gguf} on a free loopback port and waits until it serves (its /health is 200). */
    public static LlamaServer start(Path gguf, Options o, Path log, Duration ready) throws IOException {
        Path bin = binaries(defaultWait()).resolve("llama-server");
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(
                bin.toString(),
                "-m",
                gguf.toString(),
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "-np",
                String.valueOf(o.slots()),
                "-c",
                String.valueOf(o.slots() * o.slotContext()),
                "-t",
                String.valueOf(o.threads()),
                "-tb",
                String.valueOf(o.threads()),
                "--no-webui",
                "--no-warmup",
                "--metrics",
                // an F32 KV cache, no flash attention: the exact arithmetic the tests compare to Veil's (the defaults
                // round K/V to F16)
                "-ctk",
                "f32",
                "-ctv",
                "f32",
                "-fa",
                "off"));
        if (!o.rpc().isEmpty()) cmd.addAll(List.of("--rpc", String.join(",", o.rpc()), "-ngl", "999"));
        if (o.verbose()) cmd.add("-v");
        return new LlamaServer(launch(cmd, log, port, "/health", ready), URI.create("http://127.0.0.1:" + port), log);
    }

    /** Starts an rpc-server (llama.cpp's RPC backend: one machine's share of the model's layers) on a free loopback port. */
    public static LlamaServer startRpc(Path log, int threads, Duration ready) throws IOException {
        Path bin = binaries(defaultWait()).resolve("rpc-server");
        int port = freePort();
        List<String> cmd =
                List.of(bin.toString(), "-H", "127.0.0.1", "-p", String.valueOf(port), "-t", String.valueOf(threads));
        return new LlamaServer(launch(cmd, log, port, null, ready), URI.create("tcp://127.0.0.1:" + port), log);
    }

    private static Process launch(List<String> cmd, Path log, int port, String health, Duration ready)
            throws IOException {
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Runtime.getRuntime()
                .addShutdownHook(new Thread(p::destroyForcibly)); // no server outlives a JVM that ends without close()
        long deadline = System.nanoTime() + ready.toNanos();
        try (HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (true) {
                if (!p.isAlive())
                    throw new IOException(cmd.getFirst() + " exited with " + p.exitValue()
                            + " before serving; its log (" + log + "):\n" + Processes.tail(log, 30));
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IOException(cmd.getFirst() + " did not serve within " + ready.toSeconds()
                            + " s; its log (" + log + "):\n" + Processes.tail(log, 30));
                }
                if (serving(http, port, health)) return p;
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + cmd.getFirst(), e);
        }
    }

    private static boolean serving(HttpClient http, int port, String health) throws InterruptedException {
        if (health == null) { // rpc-server: accepting connections is ready
            try (var s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        try {
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + health))
                    .timeout(Duration.ofSeconds(2))
                    .GET()
                    .build();
            return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code http://127.0.0.1:PORT} (llama-server) or {@code tcp://127.0.0.1:PORT} (rpc-server). */
    public URI uri() {
        return uri;
    }

    /** {@code 127.0.0.1:PORT}, as llama-server's {@code --rpc} wants it. */
    public String endpoint() {
        return uri.getHost() + ":" + uri.getPort();
    }

    /** Everything the process has written so far (malformed UTF-8 replaced). */
    public String log() throws IOException {
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    }

    /** Ends the process (SIGTERM, then SIGKILL after 5 s). */
    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(5));
    }
}
