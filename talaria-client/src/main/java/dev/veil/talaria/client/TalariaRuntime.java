package dev.veil.talaria.client;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.StopCondition;
import dev.veil.engine.TokenListener;
import dev.veil.engine.Transformer;
import dev.veil.model.ModelConfig;
import java.net.URI;

/**
 * The Talaria client runtime: the engine's own generator and forward pass (tokens, KV cache, attention, norms, RoPE,
 * SiLU, residuals, sampling — all local) over the {@link MaskedRemoteBackend}, so every weight product is computed by
 * the cloud on masked rows. Token ids in, token ids out; the caller tokenizes.
 */
public final class TalariaRuntime implements AutoCloseable {

    private final MaskedRemoteBackend backend;
    private final Generator generator;

    public TalariaRuntime(MaskedRemoteBackend backend) {
        this.backend = backend;
        this.generator = new Generator(new Transformer(backend));
    }

    /**
     * Connects to a cloud and, when the mask setting needs one, a setup authority.
     *
     * @param setup the setup authority's base URL, or null (only for settings that need no setup: no masks, no check)
     */
    public static TalariaRuntime connect(URI cloud, URI setup, TalariaOptions options, Transport.Kind transport,
                                         CloudConnection.Retry retry) {
        CloudConnection connection = new CloudConnection(cloud, retry, transport);
        SetupService setupService = setup == null ? SetupService.NONE : new HttpSetupService(setup);
        return new TalariaRuntime(new MaskedRemoteBackend(connection, setupService, options));
    }

    public ModelConfig config() {
        return backend.config();
    }

    public MaskedRemoteBackend backend() {
        return backend;
    }

    public WireStats stats() {
        return backend.stats();
    }

    /** One request: a new session first when masks refresh per request. */
    public Generation generate(int[] prompt, GenerationOptions options, TokenListener listener, StopCondition stop) {
        backend.beginRequest();
        return generator.generate(prompt, options, listener, stop);
    }

    @Override
    public void close() {
        backend.close();
    }
}
