package dev.veil.bench;

import com.sun.net.httpserver.HttpServer;
import dev.veil.aloepri.VocabPermutation;
import dev.veil.gateway.AloePriBackend;
import dev.veil.gateway.GatewayOptions;
import dev.veil.gateway.GatewayServer;
import dev.veil.gateway.VllmClient;
import dev.veil.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;

/**
 * The gateway's cost per streamed token. A stub upstream streams {@code tokens} obfuscated ids in vLLM's chunk shape as
 * fast as it can; an app reads the stream once straight from the stub and once through the gateway (τ⁻¹, incremental
 * detokenization with the real tokenizer, stop-string watch, OpenAI chunk, extra loopback hop). The difference per
 * token is the gateway's overhead, reported as the median over several runs.
 */
public final class GatewayOverheadBench {

    /** Milliseconds per token: reading straight from the upstream, through the gateway, and their difference. */
    public record Result(int tokens, int runs, double directMsPerToken, double gatewayMsPerToken, double overheadMsPerToken) {}

    private static final com.fasterxml.jackson.databind.ObjectMapper APP_JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final String TEXT = "The state of the Union is strong. We have faced hard choices and we will face more, "
            + "but the work of this year has shown what free people can build together: schools, roads, and the trust of neighbors. ";

    private GatewayOverheadBench() {}

    public static Result run(Path tokenizerDir, int tokens, int runs) throws Exception {
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        int[] text = tokenizer.encode(TEXT.repeat(1 + tokens / 30), false, false);
        int[] ids = Arrays.copyOf(text, tokens);
        int vocab = tokenizer.vocabSize();
        VocabPermutation tau = VocabPermutation.sample(vocab, tokenizer.specialIds(), new SplittableRandom(7));
        byte[] stream = upstreamStream(tau.obfuscate(ids));
        HttpServer stub = stub(stream, vocab);
        URI upstream = URI.create("http://127.0.0.1:" + stub.getAddress().getPort());
        var backend = new AloePriBackend(tau, VllmClient.connect(upstream, null, VllmClient.Timeouts.defaults()));
        try (GatewayServer gateway = GatewayServer.start(GatewayOptions.defaults("bench").withAddress("127.0.0.1", 0), tokenizer, backend);
             HttpClient app = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String direct = "{\"model\":\"bench\",\"prompt\":[1],\"max_tokens\":" + tokens + ",\"stream\":true}";
            String viaGateway = "{\"model\":\"bench\",\"prompt\":\"x\",\"max_tokens\":" + tokens + ",\"stream\":true,\"temperature\":0}";
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
            stub.stop(0);
        }
    }

    /** vLLM's stream for {@code ids}: one chunk per id, a final chunk with finish_reason "length", then [DONE]. */
    private static byte[] upstreamStream(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) {
            String finish = i == ids.length - 1 ? "\"length\"" : "null";
            out.writeBytes(("data: {\"id\":\"cmpl-b\",\"object\":\"text_completion\",\"created\":1,\"model\":\"bench\",\"choices\":[{\"index\":0,"
                    + "\"text\":\"\",\"logprobs\":null,\"finish_reason\":" + finish + ",\"stop_reason\":null,\"token_ids\":[" + ids[i]
                    + "]}],\"usage\":null}\n\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static HttpServer stub(byte[] stream, int vocab) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        s.createContext("/v1/models", e -> {
            byte[] b = ("{\"object\":\"list\",\"data\":[{\"id\":\"bench\",\"object\":\"model\",\"max_model_len\":" + (1 << 20) + "}]}")
                    .getBytes(StandardCharsets.UTF_8);
            e.sendResponseHeaders(200, b.length);
            e.getResponseBody().write(b);
            e.close();
        });
        s.createContext("/v1/completions", e -> {
            e.getRequestBody().readAllBytes();
            e.getResponseHeaders().set("Content-Type", "text/event-stream");
            e.sendResponseHeaders(200, 0);
            OutputStream out = e.getResponseBody();
            // chunk by chunk with a flush each, as a streaming server writes them
            for (int from = 0, next; from < stream.length; from = next) {
                next = indexOf(stream, from) + 2;
                out.write(stream, from, next - from);
                out.flush();
            }
            e.close();
        });
        s.start();
        return s;
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) if (b[i] == '\n' && b[i + 1] == '\n') return i;
        return b.length - 2;
    }

    /** Streams one response as an app would (line by line, every event parsed); returns the nanoseconds it took. */
    private static long read(HttpClient app, URI uri, String body) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r = app.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) throw new IllegalStateException(uri + " answered HTTP " + r.statusCode());
        int events = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("data: [DONE]")) break;
                if (line.startsWith("data: ")) {
                    APP_JSON.readTree(line.substring(6)); // an app's SDK parses every event
                    events++;
                }
            }
        }
        if (events == 0) throw new IllegalStateException(uri + " streamed nothing");
        return System.nanoTime() - t0;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String markdown(Result r) {
        return String.format(Locale.ROOT, """
                # Gateway overhead per streamed token

                A stub upstream streams %d obfuscated ids in vLLM's chunk shape; an app reads them straight from the stub and
                through the AloePri gateway (τ⁻¹, incremental detokenization with the Qwen3 tokenizer, stop-string watch,
                OpenAI chunks, one more loopback hop). Median of %d runs.

                | path | ms per token |
                |---|---|
                | app ← upstream | %.4f |
                | app ← gateway ← upstream | %.4f |
                | **gateway overhead** | **%.4f** (target < 0.2) |
                """, r.tokens(), r.runs(), r.directMsPerToken(), r.gatewayMsPerToken(), r.overheadMsPerToken());
    }

    /** {@code GatewayOverheadBench TOKENIZER_DIR [RESULTS_DIR]}: runs 2000 tokens × 9 runs and writes the results. */
    public static void main(String[] args) throws Exception {
        Path results = args.length > 1 ? Path.of(args[1]) : Path.of("bench", "results");
        Result r = run(Path.of(args[0]), 2000, 9);
        write(results, r);
    }

    /** Writes {@code gateway-overhead.json} and {@code .md} under {@code dir} and prints the table. */
    public static void write(Path dir, Result r) throws java.io.IOException {
        BenchResults.write(dir, "gateway-overhead", r, markdown(r));
        System.out.print(markdown(r));
    }
}
