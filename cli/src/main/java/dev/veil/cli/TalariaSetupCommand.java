package dev.veil.cli;

import dev.veil.model.ModelFiles;
import dev.veil.talaria.authority.RowBudget;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupClients;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.TableServer;
import dev.veil.talaria.protocol.EmbeddingTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code veil talaria setup}: the setup authority, run apart from the cloud. */
@Command(
        name = "setup",
        subcommands = TalariaSetupCommand.Token.class,
        description = "Run the setup authority: holds the weights, receives each session's secret seed and returns the "
                + "unmasking material (R_pub = M_pub·W, pool products, check vectors). Run it where the cloud cannot "
                + "see its traffic (the model vendor's attested service, behind TLS). Every client needs a token "
                + "('veil talaria setup token --client ID' issues one) and may receive at most d_in - 1 input "
                + "directions of each product, the most that cannot determine its weights (--row-budget).")
public final class TalariaSetupCommand implements Callable<Integer> {

    // checked in call(), not by picocli, which would also demand it of the 'token' subcommand
    @Option(names = "--model", description = "Hugging Face model directory or .gguf file (required)")
    Path model;

    @Mixin
    Listen listen = new Listen(8001);

    @Option(
            names = "--clients",
            paramLabel = "FILE",
            description =
                    "the clients: one 'CLIENT-ID SHA256-OF-TOKEN [ROW-BUDGET]' a line ('veil talaria setup token' prints one)")
    Path clients;

    @Option(
            names = "--insecure-no-auth",
            description = "serve without tokens, as client 'anonymous' (development on loopback only)")
    boolean insecureNoAuth;

    @Option(
            names = "--row-budget",
            defaultValue = "default",
            paramLabel = "N|default|unlimited",
            description =
                    "input directions per product per client over all its setups, unless the clients file gives one: "
                            + "default = d_in - 1 (the client can never solve for W); unlimited for attested clients, where the "
                            + "model's IP rests on the attestation (default: ${DEFAULT-VALUE})")
    String rowBudget;

    @Option(
            names = "--setups-per-minute",
            defaultValue = "60",
            description = "per client, 0 = no limit (default: ${DEFAULT-VALUE})")
    double setupsPerMinute;

    @Option(
            names = "--concurrent",
            defaultValue = "2",
            description =
                    "setups computing at once; memory ~ the model + 2 x this x --max-bundle-mb (default: ${DEFAULT-VALUE})")
    int concurrent;

    @Option(
            names = "--queue-seconds",
            defaultValue = "5",
            description = "how long a setup waits for a free slot before 503 (default: ${DEFAULT-VALUE})")
    int queueSeconds;

    @Option(
            names = "--max-bundle-mb",
            defaultValue = "2046",
            description = "largest bundle one setup may ask for (default: ${DEFAULT-VALUE}, one reply's limit)")
    long maxBundleMb;

    @Option(
            names = "--tls-keystore",
            paramLabel = "FILE",
            description = "serve https with this PKCS#12/JKS keystore's key pair (needed to listen beyond loopback)")
    Path tlsKeystore;

    @Option(
            names = "--tls-password",
            arity = "0",
            interactive = true,
            description = "the keystore's password (asked on the terminal)")
    char[] tlsPassword;

    @Option(
            names = "--tls-password-env",
            paramLabel = "VAR",
            description = "read the keystore's password from environment variable VAR")
    String tlsPasswordEnv;

    @Option(
            names = "--tables-port",
            description =
                    "also hand the embedding table (and a tied model's final norm) to clients "
                            + "on this port (GET /v1/talaria/embedding), for --embed local / --head local: model IP, for attested clients only")
    Integer tablesPort;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (model == null) throw new IllegalArgumentException("--model DIR is required");
        if ((clients == null) == !insecureNoAuth)
            throw new IllegalArgumentException(
                    insecureNoAuth
                            ? "give --clients FILE or --insecure-no-auth, not both"
                            : "--clients FILE is required (the tokens' hashes; 'veil talaria setup token --client ID' makes a line), "
                                    + "or --insecure-no-auth for development on loopback");
        SSLContext tls = tlsKeystore == null
                ? null
                : SetupServer.tlsContext(
                        tlsKeystore, Passphrases.resolve(tlsPassword, tlsPasswordEnv, "--tls-password"));
        SetupServer.Options options = SetupServer.Options.secure(
                        listen.host, listen.port, clients == null ? null : SetupClients.read(clients))
                .withBudget(RowBudget.parse(rowBudget))
                .withRate(setupsPerMinute)
                .withConcurrency(concurrent, Duration.ofSeconds(queueSeconds))
                .withMaxBundleBytes(Math.min(maxBundleMb << 20, SetupAuthority.REPLY_LIMIT_BYTES))
                .withTls(tls);
        ModelFiles files = ModelFiles.open(model); // stays open: the products read the (memory-mapped) tensors in place
        FoldedModel folded = FoldedModel.fold(files.config(), files.weights());
        SetupServer server;
        try {
            server = SetupServer.start(new SetupAuthority(folded), options);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
        TableServer tables;
        try {
            tables = tablesPort == null
                    ? null
                    : TableServer.start(files.config(), files.weights(), listen.host, tablesPort);
        } catch (RuntimeException e) {
            server.close();
            files.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (tables != null) tables.close();
            server.close();
            files.close();
            stopped.countDown();
        }));
        spec.commandLine()
                .getOut()
                .println("talaria setup authority listening on " + server.uri() + SetupServer.PATH
                        + (clients == null ? " WITHOUT AUTHENTICATION" : "") + "; row budget " + options.budget()
                        + " (in memory: a restart forgets what clients received) (Ctrl-C stops)");
        if (tables != null)
            spec.commandLine()
                    .getOut()
                    .println("talaria table server listening on " + tables.uri() + EmbeddingTable.PATH);
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    /** {@code veil talaria setup token}: a new client token, and the line for the clients file (its hash only). */
    @Command(
            name = "token",
            description =
                    "Issue a bearer token for a client (after attesting its image, say): prints the token, to hand to "
                            + "the client only (--setup-token or VEIL_SETUP_TOKEN), and the line to add to the --clients file.")
    static final class Token implements Callable<Integer> {

        @Option(
                names = "--client",
                required = true,
                paramLabel = "ID",
                description = "the client's id (letters, digits, . _ @ -)")
        String client;

        @Option(
                names = "--row-budget",
                paramLabel = "N|default|unlimited",
                description = "this client's own row budget (default: the server's)")
        String rowBudget;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            String token = SetupClients.newToken();
            String line = SetupClients.line(client, token, rowBudget == null ? null : RowBudget.parse(rowBudget));
            var out = spec.commandLine().getOut();
            out.println("token (give it to the client only; it is not stored anywhere): " + token);
            out.println("add this line to the --clients file:");
            out.println(line);
            out.flush();
            return 0;
        }
    }
}
