package dev.veil.talaria.client;

import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.TableServer;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.MaskPrg;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * One model served three ways for the end-to-end tests: the local plain engine (the reference), a Talaria cloud and a
 * setup authority, each on its own loopback socket, each with its own folded copy of the weights.
 */
final class Harness implements AutoCloseable {

    final ModelConfig config;
    final Weights weights;
    final LocalLinearBackend local;
    final FoldedModel folded;
    CloudServer cloud;
    final SetupServer setup;
    final TableServer tables;
    private final List<AutoCloseable> opened = new ArrayList<>();
    private int clients;

    Harness(ModelConfig config, long seed) throws IOException {
        this(config, TinyModels.random(config, seed));
    }

    /**
     * A harness for a test class's static field, closed by JUnit after the class's tests:
     * {@code @AutoClose static final Harness h = Harness.of(TinyModels.qwen2(), seed);}
     */
    static Harness of(ModelConfig config, long seed) {
        try {
            return new Harness(config, seed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Harness(ModelConfig config, Weights weights) throws IOException {
        this(config, weights, Batching.FASTEST);
    }

    /** @param localBatching how the local reference multiplies (LINEAR: quantized weights with float activations) */
    Harness(ModelConfig config, Weights weights, Batching localBatching) throws IOException {
        this.config = config;
        this.weights = weights;
        this.local = new LocalLinearBackend(config, weights, Parallel.shared(), localBatching);
        this.folded = FoldedModel.fold(config, weights);
        this.cloud = CloudServer.start(folded, CloudServer.Options.loopback(0));
        this.setup = SetupServer.start(new SetupAuthority(FoldedModel.fold(config, weights)), "127.0.0.1", 0);
        this.tables = TableServer.start(config, weights, "127.0.0.1", 0);
    }

    /** A client backend talking to {@code cloudUri} (the cloud itself, or a proxy in front of it). */
    MaskedRemoteBackend client(URI cloudUri, TalariaOptions options) {
        return client(cloudUri, options, CloudConnection.Retry.DEFAULT);
    }

    MaskedRemoteBackend client(URI cloudUri, TalariaOptions options, CloudConnection.Retry retry) {
        HttpSetupService setupService = new HttpSetupService(setup.uri());
        opened.add(setupService);
        // seeded per client, in creation order, so each test's masks (and its measurements) are reproducible
        byte[] seed = new byte[MaskPrg.SEED_BYTES];
        seed[0] = (byte) clients++;
        MaskedRemoteBackend b = new MaskedRemoteBackend(
                new CloudConnection(cloudUri, retry),
                setupService,
                options,
                MaskPrg.derive(seed, "harness"),
                options.needsTable() ? tables.uri() : null);
        opened.add(b);
        return b;
    }

    MaskedRemoteBackend client(TalariaOptions options) {
        return client(cloud.uri(), options);
    }

    /** Greedy tokens; a Talaria backend is told the request's size first, as {@link TalariaRuntime} does. */
    static int[] greedy(LinearBackend backend, int[] prompt, int tokens) {
        if (backend instanceof MaskedRemoteBackend remote) remote.beginRequest(prompt.length + tokens);
        return new Generator(new Transformer(backend))
                .generate(prompt, new GenerationOptions(tokens, SamplingParams.GREEDY, Set.of()))
                .outputIds();
    }

    /** {@code count} random prompts of 2..12 tokens. */
    List<int[]> prompts(int count, long seed) {
        Random r = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p = new int[2 + r.nextInt(11)];
            for (int j = 0; j < p.length; j++) p[j] = r.nextInt(config.vocabSize());
            out.add(p);
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : opened) c.close();
        cloud.close();
        setup.close();
        tables.close();
    }
}
