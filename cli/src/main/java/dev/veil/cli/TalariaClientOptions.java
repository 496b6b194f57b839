package dev.veil.cli;

import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.client.ExpertCover;
import dev.veil.talaria.client.HttpSetupService;
import dev.veil.talaria.client.SetupService;
import dev.veil.talaria.client.SetupTls;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.protocol.MaskSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/** The Talaria client's knobs as command-line options (a picocli mixin shared by the commands that run a client). */
public final class TalariaClientOptions {

    @Option(
            names = "--setup",
            description =
                    "setup authority base URL (needed by every mask setting but --mask none --embed-mask none --check-vectors 0)")
    URI setup;

    @Option(
            names = "--setup-token",
            description = "bearer token for the setup authority, issued by its operator "
                    + "(default: env VEIL_SETUP_TOKEN, which unlike this option does not show in the process list)")
    String setupToken;

    @Option(
            names = "--setup-ca",
            description = "trust only this certificate for an https:// setup authority: PEM, or a "
                    + "PKCS#12/JKS truststore (password in env VEIL_SETUP_CA_PASSWORD); default: the JDK's CAs")
    Path setupCa;

    @Option(
            names = "--mask",
            defaultValue = "pool:4096",
            description =
                    "hidden rows: pool:ROWS (one-time full-rank masks, sized to each request up to ROWS), remo:M_OVER_D (the paper's ReMO) or none (default: ${DEFAULT-VALUE})")
    String mask;

    @Option(
            names = "--embed-mask",
            defaultValue = "pool:4096",
            description = "one-hot embedding rows: pool:ROWS, remo:M_OVER_V or none (default: ${DEFAULT-VALUE})")
    String embedMask;

    @Option(
            names = "--mask-scale",
            defaultValue = "auto",
            description =
                    "hidden-row mask rms per coordinate / the row's L2 norm, or auto: "
                            + "2·sqrt(4L + 2) for an L-layer model, so that the joint evidence of a position's 4L + 2 views stays the same at every depth (default: ${DEFAULT-VALUE})")
    String maskScale;

    @Option(
            names = "--embed-scale",
            defaultValue = "auto",
            description = "one-hot mask rms per coordinate, or auto: the hidden rows' rule (default: ${DEFAULT-VALUE})")
    String embedScale;

    @Option(
            names = "--refresh",
            defaultValue = "request",
            description = "new mask seed per: session or request (default: ${DEFAULT-VALUE})")
    String refresh;

    @Option(
            names = "--check-vectors",
            defaultValue = "1",
            description = "Freivalds vectors per product for the integrity check, 0 = off (default: ${DEFAULT-VALUE})")
    int checkVectors;

    @Option(
            names = "--embed",
            defaultValue = "auto",
            description =
                    "remote (a masked one-hot row per token, the cloud "
                            + "multiplies), local (this attested client holds the embedding table, fetched from --tables) or auto: local when "
                            + "--tables is given, else remote (default: ${DEFAULT-VALUE}; local measured 2-4x faster per token at a 152k vocabulary)")
    String embed;

    @Option(
            names = "--head",
            defaultValue = "remote",
            description =
                    "remote (masked, by the cloud), local (a tied model's "
                            + "LM head computed here from the embedding table, fetched from --tables) or auto: local when --tables is given "
                            + "and the model is tied (default: ${DEFAULT-VALUE}; local was slower per token in 3 of 4 runs at the 0.5B shape)")
    String head;

    @Option(
            names = "--tables",
            description =
                    "the vendor's table server base URL (veil talaria setup --tables-port), for --embed local / --head local")
    URI tables;

    @Option(
            names = "--moe-experts",
            defaultValue = "all",
            description = "mixture-of-experts models: all (every expert gets every row, so the cloud learns nothing "
                    + "about the routing; num_experts/k x the expert work) or topk+D (the chosen k plus D uniform decoy "
                    + "experts per row; (k+D)/k x the work, and the cloud sees a (k+D)-set holding the real k: "
                    + "docs/talaria.md D10 has the measured leak) (default: ${DEFAULT-VALUE})")
    String moeExperts;

    @Option(
            names = "--net-delay-ms",
            defaultValue = "0",
            description = "add this round trip to every call to the cloud "
                    + "(simulates a network over loopback, for measuring) (default: ${DEFAULT-VALUE})")
    double netDelayMs;

    @Option(
            names = "--transport",
            defaultValue = "socket",
            description = "socket or jdk (java.net.http) (default: ${DEFAULT-VALUE})")
    String transport;

    @Option(
            names = "--retry-seconds",
            defaultValue = "30",
            description = "how long a call keeps retrying a cloud that is down (default: ${DEFAULT-VALUE})")
    int retrySeconds;

    private static double scale(String option, String value) {
        if (value.equalsIgnoreCase("auto")) return TalariaOptions.BY_DEPTH;
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number or auto, got '" + value + "'");
        }
    }

    /** The options; with {@code auto}, a local head is assumed possible (see {@link #options(boolean)}). */
    public TalariaOptions options() {
        return options(true);
    }

    /** The options, {@code auto} resolved with whether the model's LM head is its embedding table ({@code tied}). */
    TalariaOptions options(boolean tied) {
        TalariaOptions.Refresh r = switch (refresh.toLowerCase(Locale.ROOT)) {
            case "session" -> TalariaOptions.Refresh.SESSION;
            case "request" -> TalariaOptions.Refresh.REQUEST;
            default ->
                throw new IllegalArgumentException("--refresh must be session or request, not '" + refresh + "'");
        };
        return new TalariaOptions(
                parse("--mask", mask),
                parse("--embed-mask", embedMask),
                scale("--mask-scale", maskScale),
                scale("--embed-scale", embedScale),
                r,
                checkVectors,
                local("--embed", embed, tables != null),
                local("--head", head, tables != null && tied),
                ExpertCover.parse(moeExperts));
    }

    private static boolean local(String option, String value, boolean auto) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "local" -> true;
            case "remote" -> false;
            case "auto" -> auto;
            default ->
                throw new IllegalArgumentException(option + " must be remote, local or auto, not '" + value + "'");
        };
    }

    public Transport.Kind transport() {
        return switch (transport.toLowerCase(Locale.ROOT)) {
            case "socket" -> Transport.Kind.SOCKET;
            case "jdk" -> Transport.Kind.JDK;
            default -> throw new IllegalArgumentException("--transport must be socket or jdk, not '" + transport + "'");
        };
    }

    public TalariaRuntime connect(URI cloud, TalariaRuntime.Decoys decoys) {
        boolean tied = true;
        if (tables != null && head.equalsIgnoreCase("auto"))
            try (CloudConnection c = new CloudConnection(cloud, CloudConnection.Retry.none())) {
                tied = c.fetchConfig().tieWordEmbeddings();
            }
        TalariaOptions o = options(tied);
        if (setup == null && !o.plan().empty())
            throw new IllegalArgumentException("--setup URL is required: mask " + o.hidden() + " / embed " + o.embed()
                    + " / " + o.checkVectors() + " check vector(s) need the setup authority's material");
        if (o.needsTable() && tables == null)
            throw new IllegalArgumentException(
                    "--embed local / --head local need --tables URL (the vendor's table server)");
        if (!(netDelayMs >= 0)) throw new IllegalArgumentException("--net-delay-ms must be >= 0, got " + netDelayMs);
        return TalariaRuntime.connect(
                cloud,
                setup == null ? SetupService.NONE : setupService(),
                tables,
                o,
                transport(),
                Duration.ofNanos(Math.round(netDelayMs * 1e6)),
                new CloudConnection.Retry(
                        Duration.ofSeconds(retrySeconds), Duration.ofMillis(20), Duration.ofSeconds(1)),
                decoys);
    }

    /** The setup authority at {@code --setup}, with the token and the CA given. */
    HttpSetupService setupService() {
        String token = setupToken != null ? setupToken : System.getenv("VEIL_SETUP_TOKEN");
        SSLContext tls = null;
        if (setupCa != null) {
            String password = System.getenv("VEIL_SETUP_CA_PASSWORD");
            try {
                tls = SetupTls.trusting(setupCa, password == null ? null : password.toCharArray());
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("--setup-ca " + setupCa + ": " + e.getMessage(), e);
            }
        }
        return new HttpSetupService(setup, token, tls);
    }

    private static MaskSpec parse(String option, String value) {
        try {
            return MaskSpec.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }
}
