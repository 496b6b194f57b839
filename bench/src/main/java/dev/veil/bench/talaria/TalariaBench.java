package dev.veil.bench.talaria;

import dev.veil.bench.BenchResults;
import dev.veil.bench.Machine;
import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.TokenListener;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.authority.RowBudget;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupClients;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.client.DecoySource;
import dev.veil.talaria.client.ExpertCover;
import dev.veil.talaria.client.HttpSetupService;
import dev.veil.talaria.client.MaskedRemoteBackend;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.client.WireStats;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.CloudStats;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.TableServer;
import dev.veil.talaria.protocol.MaskSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code veil bench talaria}: time to first token and time per output token of Talaria against the local plain engine
 * on the same weights, in one run, with the cloud and the setup authority on loopback sockets in the same process
 * (they share the machine's cores with the client, as a loopback deployment does). For each setting also the bytes and
 * round trips per decoded token, the setup bytes per request, and where a decoded token's time went: waiting for the
 * cloud (of which the cloud's own handling, the rest being the transport) or computing on the client. Every Talaria
 * output is checked token for token against the plain engine's. Ratios, not absolute times, are the result.
 */
public final class TalariaBench {

    /** The issue's target: TPOT at most this many times the local plain engine's. */
    public static final double TPOT_TARGET = 1.5;

    /** What to run: prompt length, tokens generated, repetitions (the median is reported). */
    public record Options(int promptTokens, int tokens, int repetitions) {
        public Options {
            if (promptTokens < 1 || tokens < 2 || repetitions < 1)
                throw new IllegalArgumentException("need --prompt-tokens >= 1, --tokens >= 2, --reps >= 1 (got "
                        + promptTokens + ", " + tokens + ", " + repetitions + ")");
        }
    }

    /**
     * One Talaria configuration measured; {@code key} names it on the command line ({@code --settings}).
     *
     * @param netDelayMs added to every round trip to the cloud (a network's delay over loopback; 0: none)
     */
    public record Setting(
            String key,
            String name,
            TalariaOptions options,
            int decoys,
            Transport.Kind transport,
            double netDelayMs,
            CloudServer.Transport cloud) {
        public Setting(String key, String name, TalariaOptions options, int decoys) {
            this(key, name, options, decoys, Transport.Kind.SOCKET, 0, CloudServer.Transport.SOCKET);
        }

        public Setting(String key, String name, TalariaOptions options, int decoys, Transport.Kind transport) {
            this(key, name, options, decoys, transport, 0, CloudServer.Transport.SOCKET);
        }

        /** The same setting over a network with {@code ms} of round trip. */
        public Setting delayed(double ms) {
            return new Setting(
                    key + "@" + ms + "ms",
                    name + String.format(Locale.ROOT, ", +%s ms round trip", ms),
                    options,
                    decoys,
                    transport,
                    ms,
                    cloud);
        }
    }

    /**
     * A fresh client's first request (new runtime: config, embedding table and first setup fetched, nothing prepared)
     * against the local engine's first request (a new engine over the opened weights), TTFT each, in the same run.
     */
    public record ColdStart(
            String setting, double ttftMs, double localTtftMs, double ratio, double setupBytes, boolean identical) {}

    /**
     * Medians over one setting's repetitions. Per decoded token (the passes after the first token): bytes (request and
     * reply bodies), round trips, and shares of the decode wall time spent waiting for the cloud and, within that, in
     * the cloud's handler.
     *
     * @param identical every run's output equalled the plain engine's (a run that differs stops the benchmark)
     */
    public record Result(
            String setting,
            double ttftMs,
            double tpotMs,
            double ttftRatio,
            double tpotRatio,
            double bytesPerToken,
            double roundTripsPerToken,
            double setupBytesPerRequest,
            double setupMsPerRequest,
            double waitShare,
            double cloudHandlerShare,
            boolean identical) {}

    /** Everything one run measured, with what it ran on. */
    public record Report(
            String date,
            String commandLine,
            Machine machine,
            String model,
            String architecture,
            int hiddenSize,
            int layers,
            int intermediateSize,
            int vocabSize,
            int promptTokens,
            int generatedTokens,
            int repetitions,
            double tpotTarget,
            List<Result> results,
            List<ColdStart> coldStarts) {}

    public static List<Setting> defaultSettings() {
        TalariaOptions d = TalariaOptions.DEFAULT;
        TalariaOptions remo = d.withHidden(MaskSpec.remo(0.5));
        TalariaOptions.Refresh perSession = TalariaOptions.Refresh.SESSION;
        return List.of(
                new Setting("plaintext", "plaintext split (no masks, no check)", TalariaOptions.plaintext(), 0),
                new Setting("default", "default: one-time pools per request, check 1", d, 0),
                new Setting("default-jdk", "default over the JDK HTTP client", d, 0, Transport.Kind.JDK),
                // the cloud on the shared Netty server instead of its hand-written one: the issue's 10 % latency rule
                new Setting(
                        "default-netty-cloud",
                        "default, the cloud on Netty (http module)",
                        d,
                        0,
                        Transport.Kind.SOCKET,
                        0,
                        CloudServer.Transport.NETTY),
                new Setting("session", "one-time pools, one setup per session", d.withRefresh(perSession), 0),
                new Setting("remo", "ReMO 0.5 (paper), refresh per request", remo, 0),
                new Setting("remo-session", "ReMO 0.5, refresh per session", remo.withRefresh(perSession), 0),
                new Setting("decoy", "default + 1 decoy sequence", d, 1),
                new Setting("embed-local", "default, embedding table in the client", d.withLocal(true, false), 0),
                new Setting(
                        "local", "default, embedding table and tied LM head in the client", d.withLocal(true, true), 0),
                new Setting(
                        "plaintext-local",
                        "plaintext split, embedding and LM head in the client",
                        TalariaOptions.plaintext().withLocal(true, true),
                        0),
                // mixture-of-experts models: "default" sends every row to every expert; these send fewer
                new Setting(
                        "moe-topk",
                        "default, each row to its top-k experts only (the cloud learns the routing)",
                        d.withExperts(ExpertCover.topK(0)),
                        0),
                new Setting("moe-topk+1", "default, top-k + 1 decoy expert", d.withExperts(ExpertCover.topK(1)), 0),
                new Setting("moe-topk+2", "default, top-k + 2 decoy experts", d.withExperts(ExpertCover.topK(2)), 0));
    }

    /** {@code settings}, then each of them again over a network of each round trip in {@code delaysMs}. */
    public static List<Setting> withNetworkDelays(List<Setting> settings, List<Double> delaysMs) {
        List<Setting> out = new ArrayList<>(settings);
        for (double ms : delaysMs) for (Setting s : settings) out.add(s.delayed(ms));
        return out;
    }

    /** The default settings named by {@code keys} (all of them when {@code keys} is empty), in the default order. */
    public static List<Setting> settings(List<String> keys) {
        List<Setting> all = defaultSettings();
        List<String> known = all.stream().map(Setting::key).toList();
        for (String k : keys)
            if (!known.contains(k))
                throw new IllegalArgumentException(
                        "unknown Talaria bench setting '" + k + "'; known: " + String.join(", ", known));
        Set<String> optIn = Set.of(
                "embed-local",
                "local",
                "plaintext-local", // need a table server; two need a tied model
                "default-netty-cloud", // a second cloud
                "moe-topk",
                "moe-topk+1",
                "moe-topk+2"); // the same as default on a dense model
        return keys.isEmpty()
                ? all.stream().filter(s -> !optIn.contains(s.key())).toList()
                : all.stream().filter(s -> keys.contains(s.key())).toList();
    }

    private final ModelConfig config;
    private final Weights weights;
    private final String modelName;
    private final Options options;

    public TalariaBench(ModelConfig config, Weights weights, String modelName, Options options) {
        this.config = config;
        this.weights = weights;
        this.modelName = modelName;
        this.options = options;
    }

    /**
     * Runs the local engine and every setting; the local engine's result comes first. The repetitions go round robin
     * (local, then each setting, then again), so that every setting sees the same drift of a shared machine's load.
     */
    public Report run(List<Setting> settings, String commandLine, PrintWriter progress) throws IOException {
        return run(settings, List.of(), commandLine, progress);
    }

    /**
     * As {@link #run(List, String, PrintWriter)}, then measuring the cold start of the settings named in {@code cold}
     * ({@link #coldStart}).
     */
    public Report run(List<Setting> settings, List<String> cold, String commandLine, PrintWriter progress)
            throws IOException {
        Machine machine = Machine.current();
        int[] prompt = new Random(1)
                .ints(options.promptTokens(), 0, config.vocabSize())
                .toArray();
        GenerationOptions gen = new GenerationOptions(options.tokens(), SamplingParams.GREEDY, Set.of());
        for (Setting s : settings)
            if (s.options().localHead() && !config.tieWordEmbeddings())
                throw new IllegalArgumentException(
                        "setting '" + s.key() + "' computes the LM head in the client: it needs a tied model");
        FoldedModel folded = FoldedModel.fold(config, weights);
        List<TalariaRuntime> runtimes = new ArrayList<>();
        List<ColdStart> coldStarts = new ArrayList<>();
        List<Subject> subjects = new ArrayList<>();
        // an authenticated authority, as deployed; unlimited rows: the benchmark's requests would pass any cap within a
        // run
        String token = SetupClients.newToken();
        boolean netty = settings.stream().anyMatch(s -> s.cloud() == CloudServer.Transport.NETTY);
        try (CloudServer socketCloud = CloudServer.start(folded, CloudServer.Options.loopback(0));
                CloudServer nettyCloud = netty
                        ? CloudServer.start(
                                folded, CloudServer.Options.loopback(0).withTransport(CloudServer.Transport.NETTY))
                        : null;
                SetupServer setup = SetupServer.start(
                        new SetupAuthority(folded),
                        SetupServer.Options.secure("127.0.0.1", 0, SetupClients.of("bench", token, RowBudget.UNLIMITED))
                                .withRate(0)
                                .withConcurrency(2, Duration.ofMinutes(5)));
                TableServer tables = TableServer.start(config, weights, "127.0.0.1", 0)) {
            // LINEAR: on a quantized model, the quantized plain model Talaria's output equals (docs/talaria.md D11)
            Generator plain = new Generator(
                    new Transformer(new LocalLinearBackend(config, weights, Parallel.shared(), Batching.LINEAR)));
            int[] expected = plain.generate(prompt, gen).outputIds();
            subjects.add(new Subject(
                    "local plain engine", listener -> plain.generate(prompt, gen, listener, id -> false), null, null));
            for (Setting s : settings) {
                CloudServer cloud = s.cloud() == CloudServer.Transport.NETTY ? nettyCloud : socketCloud;
                TalariaRuntime runtime = runtime(s, cloud, new HttpSetupService(setup.uri(), token, null), tables);
                runtimes.add(runtime);
                // after each request the client idles until its next request's setup (prepared in the background) is
                // done, so that the authority's work does not fall into another setting's timing
                subjects.add(new Subject(
                        s.name(),
                        listener -> {
                            Generation g = runtime.generate(prompt, gen, listener, id -> false);
                            runtime.awaitPrepared();
                            return g;
                        },
                        runtime.stats(),
                        cloud.stats()));
            }
            for (int warm = 0; warm < 2; warm++)
                for (Subject s : subjects) s.run.once(TokenListener.NONE); // JIT, connections
            for (int rep = 0; rep < options.repetitions(); rep++) {
                for (Subject s : subjects) s.measureOnce(expected);
                progress.printf(
                        "round %d of %d: local TPOT %.3f ms%n",
                        rep + 1, options.repetitions(), subjects.getFirst().tpot.getLast());
                progress.flush();
            }
            for (String key : cold)
                coldStarts.add(coldStart(
                        key,
                        settings,
                        prompt,
                        gen,
                        expected,
                        socketCloud,
                        nettyCloud,
                        new HttpSetupService(setup.uri(), token, null),
                        tables,
                        progress));
        } finally {
            runtimes.forEach(TalariaRuntime::close);
        }
        Subject local = subjects.getFirst();
        List<Result> results = subjects.stream().map(s -> s.result(local)).toList();
        for (Result r : results)
            progress.printf(
                    "%s: TTFT %.1f ms (%.2f x local), TPOT %.3f ms (%.2f x local)%n",
                    r.setting(), r.ttftMs(), r.ttftRatio(), r.tpotMs(), r.tpotRatio());
        progress.flush();
        return new Report(
                LocalDateTime.now().withNano(0).toString(),
                commandLine,
                machine,
                modelName,
                config.architecture().modelType,
                config.hiddenSize(),
                config.numLayers(),
                config.intermediateSize(),
                config.vocabSize(),
                options.promptTokens(),
                options.tokens(),
                options.repetitions(),
                TPOT_TARGET,
                results,
                coldStarts);
    }

    /**
     * A fresh client runtime's first request for setting {@code key} (new connections, the embedding table fetched,
     * nothing prepared: its setup is on the request's path) in this process, whose code is compiled by now, against a
     * fresh local engine's first request (a new backend over the opened weights). A fresh process adds the JVM's
     * start and compilation to both: {@code scripts/talaria-cold-start.sh} measures that.
     */
    private ColdStart coldStart(
            String key,
            List<Setting> settings,
            int[] prompt,
            GenerationOptions gen,
            int[] expected,
            CloudServer socketCloud,
            CloudServer nettyCloud,
            HttpSetupService setup,
            TableServer tables,
            PrintWriter progress) {
        Setting s = settings.stream()
                .filter(x -> x.key().equals(key))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--cold " + key + ": not among the settings run"));
        long t0 = System.nanoTime();
        FirstToken first = new FirstToken(null, null);
        int[] out;
        double setupBytes;
        CloudServer cloud = s.cloud() == CloudServer.Transport.NETTY ? nettyCloud : socketCloud;
        try (TalariaRuntime fresh = runtime(s, cloud, setup, tables)) {
            out = fresh.generate(prompt, gen, first, id -> false).outputIds();
            setupBytes = fresh.stats().setupBytes();
        }
        double ttft = (first.at - t0) / 1e6;
        t0 = System.nanoTime();
        FirstToken localFirst = new FirstToken(null, null);
        new Generator(new Transformer(new LocalLinearBackend(config, weights, Parallel.shared(), Batching.LINEAR)))
                .generate(prompt, gen, localFirst, id -> false);
        double localTtft = (localFirst.at - t0) / 1e6;
        if (!Arrays.equals(out, expected))
            throw new IllegalStateException("cold " + s.name() + ": output differs from the plain engine's");
        progress.printf("cold %s: TTFT %.1f ms, local %.1f ms%n", s.name(), ttft, localTtft);
        progress.flush();
        return new ColdStart(key, ttft, localTtft, ttft / localTtft, setupBytes, true);
    }

    /** A client runtime for {@code s} against the servers. */
    private TalariaRuntime runtime(Setting s, CloudServer cloud, HttpSetupService setup, TableServer tables) {
        MaskedRemoteBackend backend = new MaskedRemoteBackend(
                new CloudConnection(
                        cloud.uri(),
                        CloudConnection.Retry.DEFAULT,
                        s.transport(),
                        Duration.ofNanos(Math.round(s.netDelayMs() * 1e6))),
                setup,
                s.options(),
                s.options().needsTable() ? tables.uri() : null);
        TalariaRuntime.Decoys decoys = s.decoys() == 0
                ? TalariaRuntime.Decoys.NONE
                : new TalariaRuntime.Decoys(s.decoys(), DecoySource.uniform(config.vocabSize()), Set.of());
        return new TalariaRuntime(backend, decoys);
    }

    private interface Run {
        Generation once(TokenListener listener);
    }

    /** One engine or setting under measurement and what its runs measured so far. */
    private static final class Subject {
        final String name;
        final Run run;
        final WireStats wire;
        final CloudStats cloud;
        final List<Double> ttft = new ArrayList<>(),
                tpot = new ArrayList<>(),
                bytes = new ArrayList<>(),
                trips = new ArrayList<>(),
                setup = new ArrayList<>(),
                setupMs = new ArrayList<>(),
                wait = new ArrayList<>(),
                handler = new ArrayList<>();

        Subject(String name, Run run, WireStats wire, CloudStats cloud) {
            this.name = name;
            this.run = run;
            this.wire = wire;
            this.cloud = cloud;
        }

        /**
         * One timed run. TTFT is wall time from the call to the first token (so a setup done before the prompt's pass
         * counts); TPOT is the wall time of the tokens after the first, per token.
         */
        void measureOnce(int[] expected) {
            FirstToken first = new FirstToken(wire, cloud);
            WireStats.Snapshot start = wire == null ? null : wire.snapshot();
            long startSetupNanos = wire == null ? 0 : wire.setupNanos();
            long t0 = System.nanoTime();
            Generation g = run.once(first);
            long end = first.last;
            if (!Arrays.equals(g.outputIds(), expected))
                throw new IllegalStateException(name + ": output differs from the plain engine's: "
                        + Arrays.toString(g.outputIds()) + " vs " + Arrays.toString(expected));
            int decoded = g.outputIds().length - 1;
            double decodeNanos = end - first.at;
            ttft.add((first.at - t0) / 1e6);
            tpot.add(decodeNanos / 1e6 / decoded);
            if (wire != null) {
                WireStats.Snapshot d = wire.snapshot().minus(first.wire);
                bytes.add((double) (d.bytesSent() + d.bytesReceived()) / decoded);
                trips.add((double) d.roundTrips() / decoded);
                setup.add((double) wire.snapshot().minus(start).setupBytes());
                setupMs.add((wire.setupNanos() - startSetupNanos) / 1e6);
                wait.add(d.waitNanos() / decodeNanos);
                handler.add((cloud.handlerNanos() - first.cloudHandler) / decodeNanos);
            }
        }

        Result result(Subject local) {
            double ttftMs = median(ttft), tpotMs = median(tpot);
            return new Result(
                    name,
                    ttftMs,
                    tpotMs,
                    ttftMs / median(local.ttft),
                    tpotMs / median(local.tpot),
                    median(bytes),
                    median(trips),
                    median(setup),
                    median(setupMs),
                    median(wait),
                    median(handler),
                    true);
        }
    }

    /** Notes the time and the counters when the first token arrives. */
    private static final class FirstToken implements TokenListener {
        private final Supplier<WireStats.Snapshot> wireNow;
        private final CloudStats cloudStats;
        long at, last;
        WireStats.Snapshot wire;
        long cloudHandler;

        FirstToken(WireStats wire, CloudStats cloud) {
            this.wireNow = wire == null ? () -> null : wire::snapshot;
            this.cloudStats = cloud;
        }

        @Override
        public void onToken(int tokenId) {
            last = System.nanoTime();
            if (at != 0) return;
            at = last;
            wire = wireNow.get();
            cloudHandler = cloudStats == null ? 0 : cloudStats.handlerNanos();
        }
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) return 0;
        double[] s = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Writes {@code talaria-<time>.json} and {@code .md} into {@code dir}; returns the markdown's path. */
    public static Path write(Report report, Path dir) throws IOException {
        return BenchResults.writeDated(dir, "talaria", report, TalariaBenchTable.markdown(report));
    }
}
