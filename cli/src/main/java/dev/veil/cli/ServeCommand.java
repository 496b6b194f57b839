package dev.veil.cli;

import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Parallel;
import dev.veil.server.InferenceServer;
import dev.veil.server.ServerOptions;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil serve}: the untrusted token server (vLLM-compatible, token ids only) on a model directory. */
@Command(
        name = "serve",
        description = {
            "Serve a model over a vLLM-compatible /v1/completions API that takes and returns token ids only.",
            "This is the UNTRUSTED side: for AloePri, point it at the obfuscated checkpoint; it has no tokenizer and no key.",
            "Endpoints: POST /v1/completions (JSON or SSE), GET /v1/models, /health, /metrics (Prometheus).",
            "Stops on Ctrl-C / SIGTERM, letting running requests finish for up to --drain seconds."
        })
public final class ServeCommand implements Callable<Integer> {

    @Mixin
    ServedModel model;

    @Mixin
    Listen listen = new Listen(8000);

    @Option(
            names = "--served-model-name",
            paramLabel = "NAME",
            description = "the id clients pass as model (default: the directory's name)")
    String name;

    @Option(
            names = "--max-running",
            defaultValue = "32",
            paramLabel = "N",
            description = "sequences decoded together per pass (default: ${DEFAULT-VALUE})")
    int maxRunning;

    @Option(
            names = "--max-waiting",
            defaultValue = "256",
            paramLabel = "N",
            description = "sequences queued before requests get 429 (default: ${DEFAULT-VALUE})")
    int maxWaiting;

    @Option(
            names = "--prefill-chunk",
            defaultValue = "256",
            paramLabel = "TOKENS",
            description = "prompt tokens per pass (default: ${DEFAULT-VALUE})")
    int prefillChunk;

    @Option(
            names = "--batching",
            defaultValue = "INVARIANT",
            paramLabel = "MODE",
            description =
                    "INVARIANT: each sequence gets bit for bit the tokens it would get alone; FASTEST: faster prefill, equal up to rounding (default: ${DEFAULT-VALUE})")
    Batching batching;

    @Mixin
    KernelThreads threads;

    @Option(
            names = "--drain",
            defaultValue = "10",
            paramLabel = "SECONDS",
            description = "on shutdown, time given to running requests (default: ${DEFAULT-VALUE})")
    int drain;

    @Mixin
    HttpServerLimits limits;

    @Override
    public Integer call() throws Exception {
        String served = name != null
                ? name
                : model.path.toAbsolutePath().normalize().getFileName().toString();
        ServerOptions options = ServerOptions.defaults(served)
                .withAddress(listen.host, listen.port)
                .withLimits(maxRunning, maxWaiting)
                .withPrefillChunk(prefillChunk)
                .withBatching(batching)
                .withHttp(limits.limits());
        Parallel parallel = threads.parallel();
        InferenceServer server = InferenceServer.open(model.path, options, parallel);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown(Duration.ofSeconds(drain));
            stopped.countDown();
        }));
        System.out.println("veil serve: " + served + " on " + server.uri()
                + " (POST /v1/completions, GET /v1/models /health /metrics)");
        stopped.await();
        return 0;
    }
}
