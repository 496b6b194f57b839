package dev.veil.talaria.client;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.StopCondition;
import dev.veil.engine.TokenListener;
import dev.veil.engine.Transformer;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.MaskPrg;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The Talaria client runtime: the engine's own generator and forward pass (tokens, KV cache, attention, norms, RoPE,
 * SiLU, residuals, sampling — all local) over the {@link MaskedRemoteBackend}, so every weight product is computed by
 * the cloud on masked rows. Token ids in, token ids out; the caller tokenizes.
 *
 * <p>With decoys, k decoy sequences (prompts from a {@link DecoySource}, continued by sampling at temperature 1) run in
 * lockstep with the real one and their rows travel in the same calls under a secret row permutation
 * ({@link DecoyMixer}); they stop when the real sequence stops.
 *
 * <p>With per-request refresh, the next request's setup is prepared in the background as soon as a request ends
 * (sized to that request's rows plus a quarter), so the setup authority's round trip is off the next request's path.
 * Each prepared setup has its own fresh seed and backs exactly one request; a request needing more rows than the
 * prepared pools hold sets up on its own path, as does one arriving when the background setup failed.
 */
public final class TalariaRuntime implements AutoCloseable {

    /** Decoy sequences per request and where their prompts come from; {@code count == 0} means none. */
    public record Decoys(int count, DecoySource source, Set<Integer> specialIds) {
        public static final Decoys NONE = new Decoys(0, null, Set.of());

        public Decoys {
            if (count < 0) throw new IllegalArgumentException("decoys must be >= 0, got " + count);
            if (count > 0 && source == null) throw new IllegalArgumentException("decoys need a decoy source");
            specialIds = Set.copyOf(specialIds);
        }
    }

    private final MaskedRemoteBackend backend;
    private final Decoys decoys;
    private final Generator generator;
    private final DecoyMixer mixer;
    private final MaskPrg seeds = MaskPrg.fresh();
    private final boolean prefetch;
    /** The next request's setup, being prepared or ready; null when none is under way. */
    private CompletableFuture<MaskedRemoteBackend.PreparedSetup> next;

    private int nextRows;

    public TalariaRuntime(MaskedRemoteBackend backend) {
        this(backend, Decoys.NONE);
    }

    public TalariaRuntime(MaskedRemoteBackend backend, Decoys decoys) {
        this.backend = backend;
        this.decoys = decoys;
        this.mixer = decoys.count() > 0 ? new DecoyMixer(backend, decoys.count()) : null;
        this.generator = new Generator(new Transformer(mixer == null ? backend : mixer.lane(0)));
        TalariaOptions o = backend.options();
        this.prefetch =
                o.refresh() == TalariaOptions.Refresh.REQUEST && !o.plan().empty();
    }

    /**
     * Connects to a cloud and, when the mask setting needs one, a setup authority.
     *
     * @param setup the setup authority's base URL, or null (only for settings that need no setup: no masks, no check)
     */
    public static TalariaRuntime connect(
            URI cloud,
            URI setup,
            TalariaOptions options,
            Transport.Kind transport,
            CloudConnection.Retry retry,
            Decoys decoys) {
        return connect(
                cloud,
                setup == null ? SetupService.NONE : new HttpSetupService(setup),
                options,
                transport,
                retry,
                decoys);
    }

    /** Connects to a cloud with a given setup service (e.g. an {@link HttpSetupService} with a token and TLS). */
    public static TalariaRuntime connect(
            URI cloud,
            SetupService setup,
            TalariaOptions options,
            Transport.Kind transport,
            CloudConnection.Retry retry,
            Decoys decoys) {
        return connect(cloud, setup, null, options, transport, Duration.ZERO, retry, decoys);
    }

    /**
     * As above, with the vendor's table server (for a local embedding or LM head; null when the options keep both
     * remote) and a delay added to every round trip to the cloud (a network's, for measuring; zero for none).
     */
    public static TalariaRuntime connect(
            URI cloud,
            SetupService setup,
            URI tables,
            TalariaOptions options,
            Transport.Kind transport,
            Duration netDelay,
            CloudConnection.Retry retry,
            Decoys decoys) {
        CloudConnection connection = new CloudConnection(cloud, retry, transport, netDelay);
        return new TalariaRuntime(new MaskedRemoteBackend(connection, setup, options, tables), decoys);
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

    /** One request (a new mask session first when masks refresh per request). Not for concurrent use: one request at a time. */
    public synchronized Generation generate(
            int[] prompt, GenerationOptions options, TokenListener listener, StopCondition stop) {
        // rows per product this request sends at most: every prompt and generated token of every sequence
        int rows =
                (int) Math.min((long) (decoys.count() + 1) * (prompt.length + options.maxTokens()), Integer.MAX_VALUE);
        MaskedRemoteBackend.PreparedSetup prepared = takePrepared(rows);
        int promptRows = (int) Math.min((long) (decoys.count() + 1) * prompt.length, rows);
        if (prepared == null && prefetch && rows > promptRows) {
            // nothing prepared covers this request (a fresh client's first one): set up the prompt's rows on the path
            // and the rest in the background while the prompt runs, so the first token waits for the smaller setup only
            backend.beginRequest(promptRows, backend.prepare(promptRows));
            int rest = rows - promptRows;
            backend.continueWith(CompletableFuture.supplyAsync(
                    backend.preparer(rest),
                    r -> Thread.ofVirtual().name("talaria-prefetch").start(r)));
        } else {
            backend.beginRequest(rows, prepared);
        }
        try {
            return run(prompt, options, listener, stop);
        } finally {
            if (prefetch) prepareNext(rows + (rows + 3) / 4);
        }
    }

    /** The setup prepared in the background if it covers {@code rows} (waiting for it if still under way), else null. */
    private MaskedRemoteBackend.PreparedSetup takePrepared(int rows) {
        CompletableFuture<MaskedRemoteBackend.PreparedSetup> f = next;
        next = null;
        if (f == null || nextRows < rows) return null; // too small: this request sets up on its path
        try {
            return f.join();
        } catch (RuntimeException e) {
            return null; // the authority failed in the background: set up on the path, where a failure is reported
        }
    }

    private void prepareNext(int rows) {
        nextRows = rows;
        next = CompletableFuture.supplyAsync(
                backend.preparer(rows),
                r -> Thread.ofVirtual().name("talaria-prefetch").start(r));
    }

    /** Waits until the next request's background setup (if any) is done: for benchmarks and tests. */
    public synchronized void awaitPrepared() {
        if (next != null) {
            try {
                next.join();
            } catch (RuntimeException ignored) {
                // reported when a request falls back to an on-path setup
            }
        }
    }

    private Generation run(int[] prompt, GenerationOptions options, TokenListener listener, StopCondition stop) {
        if (mixer == null) return generator.generate(prompt, options, listener, stop);
        mixer.reset();
        List<Thread> lanes = new ArrayList<>();
        for (int i = 1; i <= decoys.count(); i++) {
            int[] decoyPrompt = decoys.source().decoyFor(prompt, decoys.specialIds());
            GenerationOptions decoyOptions = new GenerationOptions(
                    options.maxTokens(),
                    new SamplingParams(1.0, 0, 1.0, seeds.nextLong()),
                    Set.of(),
                    options.prefillChunk());
            Generator decoy = new Generator(new Transformer(mixer.lane(i)));
            lanes.add(Thread.ofVirtual().name("decoy-" + i).start(() -> {
                try {
                    decoy.generate(decoyPrompt, decoyOptions);
                } catch (RuntimeException e) {
                    // stopped with the real sequence, or failed with it: the real lane reports failures
                }
            }));
        }
        try {
            return generator.generate(prompt, options, listener, stop);
        } finally {
            mixer.stop();
            for (Thread t : lanes) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Override
    public void close() {
        backend.close();
    }
}
