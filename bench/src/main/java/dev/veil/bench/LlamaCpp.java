package dev.veil.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.veil.model.VeilCache;
import dev.veil.model.gguf.GgufFile;
import dev.veil.train.io.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * llama.cpp, the independent engine, run through node-llama-cpp's prebuilt CPU binaries by the committed script
 * {@code llama-cpp.mjs}: token ids in, last-position logits, greedy token ids and timings out (JSON).
 * One {@link #run} is one {@code node} process that loads the GGUF once.
 */
public final class LlamaCpp {
    static final String NODE_MODULE = "node/node_modules/node-llama-cpp/dist/index.js";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private final Path nodeModule;
    private final Path script;

    private LlamaCpp(Path nodeModule, Path script) {
        this.nodeModule = nodeModule;
        this.script = script;
    }

    /** Finds node-llama-cpp in the fixture cache; a missing one fails naming the fixture. */
    public static LlamaCpp locate(Path cacheDir) throws IOException {
        Path module = VeilCache.require(cacheDir, NODE_MODULE, "node-llama-cpp 3.22.1 with its prebuilt llama.cpp");
        Path script = Files.createTempFile("veil-llama-cpp", ".mjs");
        script.toFile().deleteOnExit();
        try (InputStream in = LlamaCpp.class.getResourceAsStream("llama-cpp.mjs")) {
            if (in == null) throw new IllegalStateException("llama-cpp.mjs is missing from the veil-bench jar");
            Files.write(script, in.readAllBytes());
        }
        return new LlamaCpp(module, script);
    }

    /**
     * What to ask llama.cpp.
     *
     * @param logits   return last-position logits (full vocabulary) per prompt
     * @param generate greedy tokens per prompt (0: none); EOS does not stop generation
     * @param bench    optional timings, else null
     */
    public record Request(
            @JsonSerialize(using = ToStringSerializer.class) Path model,
            int threads,
            int contextSize,
            List<int[]> prompts,
            boolean logits,
            int generate,
            Bench bench) {
        public Request {
            prompts = List.copyOf(prompts);
        }
    }

    /**
     * Timings of prefilling each length in {@code prefill} and decoding {@code decode} tokens more: per length,
     * {@code warmup} untimed runs, then the best of {@code repeats}.
     */
    public record Bench(int[] prefill, int decode, int repeats, int warmup) {}

    public record Reply(Info llamaCpp, List<Result> results, List<Timing> bench) {}

    public record Info(String repo, String release, String systemInfo, int threads) {}

    public record Result(float[] logits, int[] tokens) {}

    public record Timing(
            int context,
            int prefillTokens,
            int decodeTokens,
            double prefillSeconds,
            double decodeSeconds,
            double cpuShare) {
        public double prefillTokensPerSecond() {
            return prefillTokens / prefillSeconds;
        }

        public double decodeTokensPerSecond() {
            return decodeTokens / decodeSeconds;
        }
    }

    /** Runs one request in a fresh {@code node} process; fails with llama.cpp's own message when it does. */
    public Reply run(Request request, Duration timeout) throws IOException {
        if (!Files.isRegularFile(request.model())) throw new IOException(request.model() + ": no such GGUF file");
        // Veil's reader checks the file first: node-llama-cpp's own parser was seen to spin for minutes on a corrupt
        // header (it reads a garbage version as v3), where Veil's fails at once naming the file and the problem.
        GgufFile.open(request.model()).close();
        Path requestFile = Files.createTempFile("veil-llama-request", ".json");
        try {
            write(request, requestFile);
            ProcessBuilder pb = process(requestFile);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new IOException(
                        "cannot run 'node' (needed for llama.cpp through node-llama-cpp): " + e.getMessage(), e);
            }
            CompletableFuture<byte[]> out = Processes.drain(p.getInputStream());
            CompletableFuture<byte[]> err = Processes.drain(p.getErrorStream());
            int status = Processes.await(p, timeout, "llama.cpp (node " + script + ")");
            String stderr = new String(err.join(), StandardCharsets.UTF_8).strip();
            if (status != 0)
                throw new IOException("llama.cpp on " + request.model() + " failed (exit " + status + "): " + stderr);
            return JSON.readValue(out.join(), Reply.class);
        } finally {
            Files.deleteIfExists(requestFile);
        }
    }

    /** The {@code node} process that answers the request written in {@code requestFile} (see {@link #write}). */
    ProcessBuilder process(Path requestFile) {
        ProcessBuilder pb = new ProcessBuilder("node", script.toString(), requestFile.toString());
        pb.environment().put("NODE_LLAMA_CPP_MODULE", nodeModule.toString());
        return pb;
    }

    /** Writes {@code request} as the JSON file that {@link #process} hands to the script. */
    static void write(Request request, Path requestFile) throws IOException {
        JSON.writeValue(requestFile.toFile(), request);
    }
}
