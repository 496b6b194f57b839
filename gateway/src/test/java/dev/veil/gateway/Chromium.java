package dev.veil.gateway;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Headless Chromium (Debian's {@code chromium} package, installed by scripts/fetch-fixtures.sh) driven over the
 * DevTools protocol: navigate, type, click, evaluate, screenshot. One page; {@link #close()} ends the browser.
 */
public final class Chromium implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private Chromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    public static Path executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        fail(
                "Chromium is not installed: the chat page test needs Debian's 'chromium' package; run scripts/fetch-fixtures.sh "
                        + "(it installs it with apt-get when missing)");
        return null;
    }

    public static Chromium launch() throws Exception {
        Path profile = Files.createTempDirectory("veil-chromium-");
        Process p = new ProcessBuilder(
                        executable().toString(),
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--user-data-dir=" + profile,
                        "--remote-debugging-port=0",
                        "--remote-debugging-address=127.0.0.1",
                        "--window-size=1280,800",
                        "about:blank")
                .redirectErrorStream(true)
                .redirectOutput(profile.resolve("chromium.log").toFile())
                .start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(portFile) || Files.readAllLines(portFile).size() < 2) {
            if (!p.isAlive()) fail("Chromium exited at start: " + Files.readString(profile.resolve("chromium.log")));
            if (System.nanoTime() > deadline) fail("Chromium did not open its DevTools port within 30 s");
            Thread.sleep(50);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).getFirst().strip());
        HttpClient http = HttpClient.newHttpClient();
        JsonNode targets = JSON.readTree(http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body());
        String ws = null;
        for (JsonNode t : targets)
            if (t.path("type").asText().equals("page"))
                ws = t.path("webSocketDebuggerUrl").asText();
        if (ws == null) fail("Chromium has no page target: " + targets);
        Chromium[] self = new Chromium[1];
        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(URI.create(ws), new WebSocket.Listener() {
                    final StringBuilder message = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        message.append(data);
                        if (last) {
                            try {
                                JsonNode n = JSON.readTree(message.toString());
                                if (n.has("id")) {
                                    CompletableFuture<JsonNode> f =
                                            self[0].pending.remove(n.get("id").asInt());
                                    if (f != null) f.complete(n);
                                }
                            } catch (IOException ignored) {
                                // not a reply
                            }
                            message.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                })
                .get(30, TimeUnit.SECONDS);
        self[0] = new Chromium(p, profile, socket);
        return self[0];
    }

    /** Sends one DevTools command and waits for its result. */
    public JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", params == null ? JSON.createObjectNode() : params);
        socket.sendText(JSON.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
        JsonNode r = reply.get(60, TimeUnit.SECONDS);
        if (r.has("error")) throw new IllegalStateException(method + " failed: " + r.get("error"));
        return r.get("result");
    }

    public void navigate(URI uri) throws Exception {
        call("Page.navigate", JSON.createObjectNode().put("url", uri.toString()));
    }

    /** Evaluates a JavaScript expression in the page; its value (awaited when a promise). */
    public JsonNode eval(String expression) throws Exception {
        JsonNode r = call(
                "Runtime.evaluate",
                JSON.createObjectNode()
                        .put("expression", expression)
                        .put("returnByValue", true)
                        .put("awaitPromise", true));
        if (r.has("exceptionDetails"))
            throw new IllegalStateException("page script failed: " + r.get("exceptionDetails"));
        return r.path("result").path("value");
    }

    /** Types text into the focused element, as a keyboard would. */
    public void type(String text) throws Exception {
        call("Input.insertText", JSON.createObjectNode().put("text", text));
    }

    /** Waits until {@code condition} (a JavaScript expression) is true; an expression that throws (the page is still loading) is false. */
    public void waitFor(String condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eval("(() => { try { return Boolean(" + condition + "); } catch (e) { return false; } })()")
                .asBoolean()) {
            if (System.nanoTime() > deadline) fail("the page never satisfied: " + condition);
            Thread.sleep(50);
        }
    }

    public void screenshot(Path png) throws Exception {
        JsonNode r = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        Files.createDirectories(png.getParent());
        Files.write(png, Base64.getDecoder().decode(r.get("data").asText()));
    }

    @Override
    public void close() throws Exception {
        socket.abort();
        // Chromium's helpers (network service, renderer) outlive the browser process for a moment and keep writing
        // into the profile; end them all before deleting it, or the walk meets files that vanish under it.
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                h.destroyForcibly();
                h.onExit().get(10, TimeUnit.SECONDS);
            }
        }
        Files.walkFileTree(profile, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // gone already
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
