package dev.veil.cli;

import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelFiles;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.FoldedModel;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code veil talaria cloud}: the untrusted weight service. */
@Command(
        name = "cloud",
        description = "Serve a model's weight products (norm weights folded in) as KServe V2 models over HTTP. "
                + "Sees only masked rows; logs counts and timings only.")
public final class TalariaCloudCommand implements Callable<Integer> {

    @Mixin
    ServedModel model;

    @Mixin
    Listen listen = new Listen(8000);

    @Option(
            names = "--batch-window-us",
            defaultValue = "0",
            description =
                    "microseconds a batch waits for concurrent calls (default: ${DEFAULT-VALUE}: batch only calls that queue up meanwhile)")
    long batchWindowMicros;

    @Option(
            names = "--max-batch-rows",
            defaultValue = "4096",
            description = "rows per matmul, and per request (a batched expert call: its experts' rows together), "
                    + "at most (default: ${DEFAULT-VALUE})")
    int maxBatchRows;

    @Mixin
    KernelThreads threads;

    @Option(
            names = "--head-timeout",
            defaultValue = "10",
            paramLabel = "SECONDS",
            description = "longest time from a request's first byte to the end of its head (default: ${DEFAULT-VALUE})")
    long headTimeout;

    @Option(
            names = "--body-timeout",
            defaultValue = "60",
            paramLabel = "SECONDS",
            description = "longest time to receive a request's body (default: ${DEFAULT-VALUE})")
    long bodyTimeout;

    @Option(
            names = "--idle-timeout",
            defaultValue = "300",
            paramLabel = "SECONDS",
            description =
                    "a connection with no request is closed after this long; clients reconnect (default: ${DEFAULT-VALUE})")
    long idleTimeout;

    @Option(
            names = "--max-connections",
            defaultValue = "256",
            paramLabel = "N",
            description = "connections served at once, a thread each; more get 503 (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ModelFiles files =
                ModelFiles.open(model.path); // stays open: the products read the (memory-mapped) tensors in place
        FoldedModel folded = FoldedModel.fold(files.config(), files.weights());
        Parallel parallel = threads.parallel();
        CloudServer server = CloudServer.start(
                folded,
                new CloudServer.Options(
                                listen.host,
                                listen.port,
                                Duration.ofNanos(batchWindowMicros * 1000),
                                maxBatchRows,
                                parallel)
                        .withLimits(new CloudServer.Limits(
                                Duration.ofSeconds(headTimeout),
                                Duration.ofSeconds(bodyTimeout),
                                Duration.ofSeconds(idleTimeout),
                                maxConnections)));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            files.close();
            stopped.countDown();
        }));
        spec.commandLine()
                .getOut()
                .println("talaria cloud listening on " + server.uri() + " ("
                        + folded.config().numLayers() + " layers; Ctrl-C stops)");
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
