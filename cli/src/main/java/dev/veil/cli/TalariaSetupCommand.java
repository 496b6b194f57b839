package dev.veil.cli;

import dev.veil.model.ModelFiles;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.SetupAuthority;
import dev.veil.talaria.cloud.SetupServer;
import dev.veil.talaria.cloud.TableServer;
import dev.veil.talaria.protocol.EmbeddingTable;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code veil talaria setup}: the setup authority, run apart from the cloud. */
@Command(name = "setup", mixinStandardHelpOptions = true,
        description = "Run the setup authority: holds the weights, receives each session's secret seed and returns the "
                + "unmasking material (R_pub = M_pub·W, pool products, check vectors). Run it where the cloud cannot "
                + "see its traffic (the model vendor's attested service, behind TLS).")
public final class TalariaSetupCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Hugging Face model directory or .gguf file")
    Path model;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8001", description = "port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--tables-port", description = "also hand the embedding table (and a tied model's final norm) to clients "
            + "on this port (GET /v1/talaria/embedding), for --embed local / --head local: model IP, for attested clients only")
    Integer tablesPort;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ModelFiles files = ModelFiles.open(model); // stays open: the products read the (memory-mapped) tensors in place
        FoldedModel folded = FoldedModel.fold(files.config(), files.weights());
        SetupServer server = SetupServer.start(new SetupAuthority(folded), host, port);
        TableServer tables = tablesPort == null ? null : TableServer.start(files.config(), files.weights(), host, tablesPort);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (tables != null) tables.close();
            server.close();
            files.close();
            stopped.countDown();
        }));
        spec.commandLine().getOut().println("talaria setup authority listening on " + server.uri() + SetupServer.PATH + " (Ctrl-C stops)");
        if (tables != null)
            spec.commandLine().getOut().println("talaria table server listening on " + tables.uri() + EmbeddingTable.PATH);
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
