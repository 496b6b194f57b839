package dev.veil.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ObfuscateModelDir;
import dev.veil.aloepri.VocabPermutation;
import dev.veil.gateway.AloePriBackend;
import dev.veil.gateway.GatewayOptions;
import dev.veil.gateway.GatewayServer;
import dev.veil.gateway.UpstreamDialect;
import dev.veil.gateway.VllmClient;
import dev.veil.http.EventStream;
import dev.veil.http.HttpError;
import dev.veil.http.HttpService;
import dev.veil.http.Json;
import dev.veil.model.DType;
import dev.veil.model.GenerationConfig;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import dev.veil.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The gateway's cost per streamed token. A stub upstream streams {@code tokens} obfuscated ids in vLLM's chunk shape as
 * fast as it can; an app reads the stream once straight from the stub and once through the gateway (τ⁻¹, incremental
 * detokenization with the real tokenizer, stop-string watch, OpenAI chunk, extra loopback hop). The difference per
 * token is the gateway's overhead, reported as the median over several runs. {@link #runLlamaServer} does the same
 * against stock llama-server generating for real, and reports tokens per second too.
 */
public final class GatewayOverheadBench {

    /** Milliseconds per token: reading straight from the upstream, through the gateway, and their difference. */
    public record Result(
            int tokens, int runs, double directMsPerToken, double gatewayMsPerToken, double overheadMsPerToken) {}

    private static final ObjectMapper APP_JSON = new ObjectMapper();
    private static final String TEXT =
            "The state of the Union is strong. We have faced hard choices and we will face more, "
                    + "but the work of this year has shown what free people can build together: schools, roads, and the trust of neighbors. ";

    private GatewayOverheadBench() {}

    public static Result run(Path tokenizerDir, int tokens, int runs) throws Exception {
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        int[] text = tokenizer.encode(TEXT.repeat(1 + tokens / 30), false, false);
        int[] ids = Arrays.copyOf(text, tokens);
        int vocab = tokenizer.vocabSize();
        VocabPermutation tau = VocabPermutation.sample(vocab, tokenizer.specialIds(), new SplittableRandom(7));
        List<JsonNode> stream = upstreamStream(tau.obfuscate(ids));
        HttpService stub = stub(stream);
        URI upstream = URI.create("http://127.0.0.1:" + stub.port());
        var backend = new AloePriBackend(tau, VllmClient.connect(upstream, null, VllmClient.Timeouts.defaults()));
        try (GatewayServer gateway = GatewayServer.start(
                        GatewayOptions.defaults("bench").withAddress("127.0.0.1", 0), tokenizer, backend);
                HttpClient app = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build()) {
            String direct = "{\"model\":\"bench\",\"prompt\":[1],\"max_tokens\":" + tokens + ",\"stream\":true}";
            String viaGateway = "{\"model\":\"bench\",\"prompt\":\"x\",\"max_tokens\":" + tokens
                    + ",\"stream\":true,\"temperature\":0}";
            for (int i = 0; i < 3; i++) { // warm-up: JIT, connections
                read(app, upstream.resolve("/v1/completions"), direct);
                read(app, gateway.uri().resolve("/v1/completions"), viaGateway);
            }
            double[] d = new double[runs], g = new double[runs];
            for (int i = 0; i < runs; i++) {
                d[i] = read(app, upstream.resolve("/v1/completions"), direct) / 1e6 / tokens;
                g[i] = read(app, gateway.uri().resolve("/v1/completions"), viaGateway) / 1e6 / tokens;
            }
            double dm = median(d), gm = median(g);
            return new Result(tokens, runs, dm, gm, gm - dm);
        } finally {
            stub.close(Duration.ZERO);
        }
    }

    /** vLLM's stream for {@code ids}: one chunk per id, a final chunk with finish_reason "length" ([DONE] follows). */
    private static List<JsonNode> upstreamStream(int[] ids) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            String finish = i == ids.length - 1 ? "\"length\"" : "null";
            events.add(Json.MAPPER.readTree(
                    "{\"id\":\"cmpl-b\",\"object\":\"text_completion\",\"created\":1,\"model\":\"bench\",\"choices\":[{\"index\":0,"
                            + "\"text\":\"\",\"logprobs\":null,\"finish_reason\":" + finish
                            + ",\"stop_reason\":null,\"token_ids\":[" + ids[i] + "]}],\"usage\":null}"));
        }
        return events;
    }

    /** A stub vLLM on the shared HTTP layer: its model list, and {@code stream} for every completion. */
    private static HttpService stub(List<JsonNode> stream) throws IOException {
        byte[] models = ("{\"object\":\"list\",\"data\":[{\"id\":\"bench\",\"object\":\"model\",\"max_model_len\":"
                        + (1 << 20) + "}]}")
                .getBytes(StandardCharsets.UTF_8);
        HttpError.Shape errors = (status, message) -> new HttpError(status, "stub_error", message, null, status);
        return HttpService.on("127.0.0.1", 0, errors).start(ex -> {
            if (ex.path().equals("/v1/models")) {
                ex.send(200, "application/json", models);
                return;
            }
            if (!ex.path().equals("/v1/completions")) throw errors.of(404, ex.path() + ": not in the stub");
            // event by event, each flushed, as a streaming server writes them
            try (EventStream events = ex.events("text/event-stream")) {
                for (JsonNode e : stream) events.event(e);
                events.done();
            }
        });
    }

    /** Streams one response as an app would (line by line, every event parsed); returns the nanoseconds it took. */
    private static long read(HttpClient app, URI uri, String body) throws Exception {
        return stream(app, uri, body).nanos();
    }

    /** One streamed response: how long it took, and how many ids it carried (llama-server's tokens, or the usage chunk's count). */
    private record Streamed(long nanos, int tokens) {}

    private static Streamed stream(HttpClient app, URI uri, String body) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r = app.send(JsonPost.to(uri, body), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200)
            throw new IllegalStateException(uri + " answered HTTP " + r.statusCode() + ": "
                    + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
        int events = 0, tokens = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("data: [DONE]")) break;
                if (line.startsWith("data: ")) {
                    var event = APP_JSON.readTree(line.substring(6)); // an app's SDK parses every event
                    events++;
                    tokens += event.path("tokens").size();
                    tokens += event.path("usage").path("completion_tokens").asInt(0);
                }
            }
        }
        if (events == 0) throw new IllegalStateException(uri + " streamed nothing");
        return new Streamed(System.nanoTime() - t0, tokens);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Against stock llama-server, as an app sees it: tokens per second and milliseconds per token reading the stream
     * straight from llama-server ({@code /completion}, the body the gateway itself would send) and through the gateway
     * ({@code /v1/completions}, greedy), median of {@code runs}, and the difference per token. The model is a random
     * Qwen2-shaped one with the tokenizer's vocabulary (hidden {@code hidden}, 2 layers), obfuscated with the default
     * parameters and exported to GGUF; llama-server runs it with {@code threads} threads and one slot.
     */
    public record LlamaResult(
            int tokens,
            int runs,
            int hidden,
            int threads,
            double directTokensPerSecond,
            double gatewayTokensPerSecond,
            double directMsPerToken,
            double gatewayMsPerToken,
            double overheadMsPerToken,
            double overheadMinMs,
            double overheadMaxMs,
            int directTokens,
            int gatewayTokens,
            String llamaServer) {}

    public static LlamaResult runLlamaServer(
            Path tokenizerDir, int tokens, int runs, int hidden, int threads, Path work) throws Exception {
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        Path plain = work.resolve("plain");
        ModelConfig c = RandomModel.config(
                ModelConfig.Architecture.QWEN2,
                tokenizer.vocabSize(),
                hidden,
                2 * hidden,
                2,
                4,
                2,
                hidden / 4,
                null,
                false,
                true,
                "float32");
        RandomModel.write(plain, c, DType.F32, 7, RandomModel.Scales.DEFAULT);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json"))
            Files.copy(tokenizerDir.resolve(f), plain.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        GenerationConfig.of(-1, List.copyOf(new TreeSet<>(tokenizer.eosIds()))).write(plain);
        Path gguf = work.resolve("obfuscated.gguf");
        AloePriKey key = ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                        plain, work.resolve("obfuscated"), work.resolve("model.key"), AloePriParams.defaults(hidden))
                .withSeed("bench")
                .withGguf(gguf));
        int[] prompt = tokenizer.encode(TEXT, true, true);
        int context = prompt.length + tokens + 16;
        try (LlamaServer llama = LlamaServer.start(
                        gguf,
                        LlamaServer.Options.of(1, context).withThreads(threads),
                        work.resolve("llama-server.log"),
                        Duration.ofMinutes(2));
                GatewayServer gateway = GatewayServer.start(
                        GatewayOptions.defaults("bench").withAddress("127.0.0.1", 0),
                        tokenizer,
                        new AloePriBackend(
                                key.permutation(),
                                VllmClient.connect(
                                        llama.uri(),
                                        null,
                                        VllmClient.Timeouts.defaults(),
                                        VllmClient.Kind.LLAMA_SERVER)));
                HttpClient app = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build()) {
            var params = new VllmClient.Params(tokens, 0, 1, 0, null, Set.of());
            String direct = APP_JSON.writeValueAsString(UpstreamDialect.LLAMA_SERVER.requestBody(
                    "", context, key.permutation().obfuscate(prompt), params));
            ObjectNode r = APP_JSON.createObjectNode()
                    .put("model", "bench")
                    .put("prompt", TEXT)
                    .put("max_tokens", tokens)
                    .put("stream", true)
                    .put("temperature", 0);
            r.putObject("stream_options").put("include_usage", true);
            String viaGateway = APP_JSON.writeValueAsString(r);
            URI straight = llama.uri().resolve("/completion"),
                    through = gateway.uri().resolve("/v1/completions");
            stream(app, straight, direct); // warm-up: JIT, connections, llama-server's first pass
            stream(app, through, viaGateway);
            double[] d = new double[runs], g = new double[runs], diff = new double[runs];
            int directTokens = 0, gatewayTokens = 0;
            for (int i = 0; i < runs; i++) {
                Streamed a, b; // alternate which goes first, so neither always follows the other's leftovers
                if (i % 2 == 0) {
                    a = stream(app, straight, direct);
                    b = stream(app, through, viaGateway);
                } else {
                    b = stream(app, through, viaGateway);
                    a = stream(app, straight, direct);
                }
                if (a.tokens() == 0 || b.tokens() == 0)
                    throw new IllegalStateException("a stream carried no ids: " + a + ", " + b);
                d[i] = a.nanos() / 1e6 / a.tokens();
                g[i] = b.nanos() / 1e6 / b.tokens();
                diff[i] = g[i] - d[i]; // paired: the two reads of a run follow each other
                directTokens = a.tokens();
                gatewayTokens = b.tokens();
            }
            double dm = median(d), gm = median(g);
            String build = APP_JSON.readTree(app.send(
                                    HttpRequest.newBuilder(llama.uri().resolve("/props"))
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body())
                    .path("build_info")
                    .asText("?");
            return new LlamaResult(
                    tokens,
                    runs,
                    hidden,
                    threads,
                    1000 / dm,
                    1000 / gm,
                    dm,
                    gm,
                    median(diff),
                    Arrays.stream(diff).min().orElse(0),
                    Arrays.stream(diff).max().orElse(0),
                    directTokens,
                    gatewayTokens,
                    build);
        }
    }

    static String markdown(LlamaResult r) {
        return String.format(
                Locale.ROOT,
                """
                # Gateway against stock llama-server

                llama.cpp's llama-server (built by scripts/build-llama.sh, %d thread(s), one slot) runs an obfuscated random
                Qwen2-shaped model (hidden %d, 2 layers, the Qwen3 vocabulary) from its GGUF. An app streams %d greedy tokens
                straight from llama-server's /completion (the body the gateway sends) and through the AloePri gateway
                (/v1/completions: tokenization, τ, τ⁻¹, detokenization, OpenAI chunks, one more loopback hop). Median of %d runs.

                | path | tokens/s | ms per token |
                |---|---|---|
                | app ← llama-server | %.1f | %.4f |
                | app ← gateway ← llama-server | %.1f | %.4f |
                | **gateway's added latency per token** (median of the paired differences; range over the runs) | | **%.4f** (%.4f … %.4f) |

                Ids per stream: %d straight, %d through the gateway (it ends a stream at the tokenizer's EOS ids, llama-server
                only at the GGUF's one; later tokens cost more, so fewer ids mean a lower time per token). A difference inside
                the range's spread is below what this machine can resolve. llama-server build: %s
                """,
                r.threads(),
                r.hidden(),
                r.tokens(),
                r.runs(),
                r.directTokensPerSecond(),
                r.directMsPerToken(),
                r.gatewayTokensPerSecond(),
                r.gatewayMsPerToken(),
                r.overheadMsPerToken(),
                r.overheadMinMs(),
                r.overheadMaxMs(),
                r.directTokens(),
                r.gatewayTokens(),
                r.llamaServer());
    }

    /** Writes {@code gateway-llama-server.json} and {@code .md} under {@code dir} and prints the table. */
    public static void write(Path dir, LlamaResult r) throws IOException {
        BenchResults.write(dir, "gateway-llama-server", r, markdown(r));
        System.out.print(markdown(r));
    }

    static String markdown(Result r) {
        return String.format(
                Locale.ROOT,
                """
                # Gateway overhead per streamed token

                A stub upstream streams %d obfuscated ids in vLLM's chunk shape; an app reads them straight from the stub and
                through the AloePri gateway (τ⁻¹, incremental detokenization with the Qwen3 tokenizer, stop-string watch,
                OpenAI chunks, one more loopback hop). Median of %d runs.

                | path | ms per token |
                |---|---|
                | app ← upstream | %.4f |
                | app ← gateway ← upstream | %.4f |
                | **gateway overhead** | **%.4f** (target < 0.2) |
                """,
                r.tokens(),
                r.runs(),
                r.directMsPerToken(),
                r.gatewayMsPerToken(),
                r.overheadMsPerToken());
    }

    /** {@code GatewayOverheadBench TOKENIZER_DIR [RESULTS_DIR]}: runs 2000 tokens × 9 runs and writes the results. */
    public static void main(String[] args) throws Exception {
        Path results = args.length > 1 ? Path.of(args[1]) : Path.of("bench", "results");
        Result r = run(Path.of(args[0]), 2000, 9);
        write(results, r);
    }

    /** Writes {@code gateway-overhead.json} and {@code .md} under {@code dir} and prints the table. */
    public static void write(Path dir, Result r) throws IOException {
        BenchResults.write(dir, "gateway-overhead", r, markdown(r));
        System.out.print(markdown(r));
    }
}
