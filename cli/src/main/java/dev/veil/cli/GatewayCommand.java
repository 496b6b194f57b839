package dev.veil.cli;

import dev.veil.gateway.AloePriBackend;
import dev.veil.gateway.GatewayOptions;
import dev.veil.gateway.GatewayServer;
import dev.veil.gateway.PrivateCompletionBackend;
import dev.veil.gateway.TalariaBackend;
import dev.veil.gateway.VllmClient;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.tokenizer.Tokenizer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil gateway}: the trusted OpenAI-compatible gateway in front of an untrusted server. */
@Command(
        name = "gateway",
        description = {
            "Serve the OpenAI API (/v1/chat/completions, /v1/completions, /v1/models) and a chat page at /,",
            "on the TRUSTED side: the chat template, tokenizer, stop strings and the secret stay here;",
            "the upstream (veil serve, vllm serve --skip-tokenizer-init on the obfuscated checkpoint, or llama.cpp's llama-server",
            "on the obfuscated GGUF) sees only obfuscated ids."
        })
public final class GatewayCommand implements Callable<Integer> {

    @Option(
            names = "--mode",
            required = true,
            paramLabel = "MODE",
            description =
                    "aloepri (an untrusted token server runs the obfuscated model) or talaria (this gateway runs the client runtime; the cloud computes masked weight products)")
    Mode mode;

    /** Lower case, as users type them. */
    enum Mode {
        aloepri,
        talaria
    }

    @Option(names = "--key", paramLabel = "KEYFILE", description = "the AloePri secret key file (veil obfuscate --key)")
    Path key;

    @Mixin
    Passphrases passphrases = new Passphrases();

    @Mixin
    PlainTokenizer plainTokenizer;

    @Option(
            names = "--upstream",
            required = true,
            paramLabel = "URL",
            description =
                    "the untrusted side: the token server (aloepri) or the Talaria cloud (talaria), e.g. http://127.0.0.1:8000")
    URI upstream;

    @Mixin
    TalariaClientOptions talaria;

    @Option(
            names = "--upstream-model",
            paramLabel = "NAME",
            description = "the upstream's model id (default: the only one it serves)")
    String upstreamModel;

    @Option(
            names = "--upstream-kind",
            defaultValue = "auto",
            paramLabel = "KIND",
            description =
                    "the upstream's API for token-id completions: vllm (vLLM, veil serve), llama-server (llama.cpp's /completion), "
                            + "or auto (llama-server when GET /props says so, else vllm; default: ${DEFAULT-VALUE})")
    String upstreamKind;

    @Option(names = "--model-name", paramLabel = "NAME", description = "the model id apps use (default: veil)")
    String modelName = "veil";

    @Mixin
    Listen listen = new Listen(8080);

    @Option(
            names = "--upstream-timeout",
            defaultValue = "120",
            paramLabel = "SECONDS",
            description =
                    "longest wait for the upstream's first byte and between two of its tokens (default: ${DEFAULT-VALUE})")
    int timeout;

    @Option(
            names = "--show-untrusted",
            description = {
                "let requests ask (veil_untrusted: true) for what the untrusted side received, "
                        + "and show it on the chat page. For AloePri that hands the caller the obfuscated ids of its own text, i.e. the secret "
                        + "permutation: for demonstrations only (default: off)"
            })
    boolean showUntrusted;

    @Option(
            names = "--allowed-host",
            paramLabel = "NAME",
            description =
                    "a Host name to serve besides localhost and IP addresses (repeatable); other names get 403 (DNS rebinding)")
    List<String> allowedHosts = List.of();

    @Option(
            names = "--api-key",
            paramLabel = "KEY",
            description = "require Authorization: Bearer KEY on /v1/* (the chat page asks for it once)")
    String apiKey;

    @Option(
            names = "--api-key-env",
            paramLabel = "VAR",
            description = "the API key from environment variable VAR (keeps it out of the process list)")
    String apiKeyEnv;

    @Mixin
    HttpServerLimits limits;

    @Override
    public Integer call() throws Exception {
        if (mode == Mode.aloepri && key == null)
            throw new IllegalArgumentException("--mode aloepri needs --key KEYFILE");
        char[] secret = Passphrases.resolve(apiKey == null ? null : apiKey.toCharArray(), apiKeyEnv, "--api-key");
        String bearer = secret == null ? null : new String(secret);
        Tokenizer tokenizer = plainTokenizer.load();
        PrivateCompletionBackend backend = switch (mode) {
            case aloepri -> aloepri(tokenizer);
            case talaria -> new TalariaBackend(talaria.connect(upstream, TalariaRuntime.Decoys.NONE));
        };
        GatewayServer gateway = GatewayServer.start(
                GatewayOptions.defaults(modelName)
                        .withAddress(listen.host, listen.port)
                        .withShowUntrusted(showUntrusted)
                        .withAllowedHosts(Set.copyOf(allowedHosts))
                        .withApiKey(bearer)
                        .withHttp(limits.limits()),
                tokenizer,
                backend);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            stopped.countDown();
        }));
        String kind = backend instanceof AloePriBackend a ? " (" + a.upstreamKind() + ")" : "";
        System.out.println("veil gateway (" + mode + "): model " + modelName + " on " + gateway.uri() + " -> upstream "
                + upstream + kind + "; chat page at " + gateway.uri() + "/");
        stopped.await();
        return 0;
    }

    private AloePriBackend aloepri(Tokenizer tokenizer) throws Exception {
        var timeouts = new VllmClient.Timeouts(
                Duration.ofSeconds(10), Duration.ofSeconds(timeout), Duration.ofSeconds(timeout));
        AloePriBackend backend = AloePriBackend.open(
                key, passphrases.resolve(), upstream, upstreamModel, timeouts, VllmClient.Kind.parse(upstreamKind));
        if (tokenizer.vocabSize() > backend.vocabSize()) {
            backend.close();
            throw new IllegalArgumentException(plainTokenizer.dir + ": the tokenizer has " + tokenizer.vocabSize()
                    + " ids but the key's vocabulary has " + backend.vocabSize()
                    + ": not the tokenizer of the model this key obfuscated");
        }
        return backend;
    }
}
