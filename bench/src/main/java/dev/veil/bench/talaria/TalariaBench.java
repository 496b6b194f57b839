package dev.veil.bench.talaria;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veil.bench.Machine;
import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.TokenListener;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.authority.RowBudget;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupClients;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.client.DecoySource;
import dev.veil.talaria.client.HttpSetupService;
import dev.veil.talaria.client.MaskedRemoteBackend;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.client.WireStats;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.CloudStats;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.protocol.MaskSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    /** The target: TPOT at most this many times the local plain engine's. */
    public static final double TPOT_TARGET = 1.5;

    /** What to run: prompt length, tokens generated, repetitions (the median is reported). */
    public record Options(int promptTokens, int tokens, int repetitions) {
        public Options {
            if (promptTokens < 1 || tokens < 2 || repetitions < 1)
                throw new IllegalArgumentException("need --prompt-tokens >= 1, --tokens >= 2, --reps >= 1 (got "
                        + promptTokens + ", " + tokens + ", " + repetitions + ")");
        }
    }

    /** One Talaria configuration measured; {@code key} names it on the command line ({@code --settings}). */
    public record Setting(String key, String name, TalariaOptions options, int decoys, Transport.Kind transport) {
        public Setting(String key, String name, TalariaOptions options, int decoys) {
            this(key, name, options, decoys, Transport.Kind.SOCKET);
        }
    }

    /**
     * Medians over one setting's repetitions. Per decoded token (the passes after the first token): bytes (request and
     * reply bodies), round trips, and shares of the decode wall time spent waiting for the cloud and, within that, in
     * the cloud's handler.
     *
     * @param identical every run's output equalled the plain engine's (a run that differs stops the benchmark)
     */
    public record Result(String setting, double ttftMs, double tpotMs, double ttftRatio, double tpotRatio,
                         double bytesPerToken, double roundTripsPerToken, double setupBytesPerRequest, double waitShare,
                         double cloudHandlerShare, boolean identical) {}

    /** Everything one run measured, with what it ran on. */
    public record Report(String date, String commandLine, Machine machine, String model, String architecture, int hiddenSize,
                         int layers, int intermediateSize, int vocabSize, int promptTokens, int generatedTokens,
                         int repetitions, double tpotTarget, List<Result> results) {}

    public static List<Setting> defaultSettings() {
        TalariaOptions d = TalariaOptions.DEFAULT;
        TalariaOptions remo = d.withHidden(MaskSpec.remo(0.5));
        return List.of(
                new Setting("plaintext", "plaintext split (no masks, no check)", TalariaOptions.plaintext(), 0),
                new Setting("default", "default: one-time pools per request, check 1", d, 0),
                new Setting("default-jdk", "default over the JDK HTTP client", d, 0, Transport.Kind.JDK),
                new Setting("session", "one-time pools, one setup per session", d.withRefresh(TalariaOptions.Refresh.SESSION), 0),
                new Setting("remo", "ReMO 0.5 (paper), refresh per request", remo, 0),
                new Setting("remo-session", "ReMO 0.5, refresh per session", remo.withRefresh(TalariaOptions.Refresh.SESSION), 0),
                new Setting("decoy", "default + 1 decoy sequence", d, 1));
    }

    /** The default settings named by {@code keys} (all of them when {@code keys} is empty), in the default order. */
    public static List<Setting> settings(List<String> keys) {
        List<Setting> all = defaultSettings();
        List<String> known = all.stream().map(Setting::key).toList();
        for (String k : keys)
            if (!known.contains(k)) throw new IllegalArgumentException("unknown Talaria bench setting '" + k + "'; known: "
                    + String.join(", ", known));
        return keys.isEmpty() ? all : all.stream().filter(s -> keys.contains(s.key())).toList();
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
        Machine machine = Machine.current();
        int[] prompt = new Random(1).ints(options.promptTokens(), 0, config.vocabSize()).toArray();
        GenerationOptions gen = new GenerationOptions(options.tokens(), SamplingParams.GREEDY, Set.of());
        Generator plain = new Generator(new Transformer(new LocalLinearBackend(config, weights, Parallel.shared())));
        int[] expected = plain.generate(prompt, gen).outputIds();
        List<Subject> subjects = new ArrayList<>();
        subjects.add(new Subject("local plain engine", listener -> plain.generate(prompt, gen, listener, id -> false), null, null));

        FoldedModel folded = FoldedModel.fold(config, weights);
        List<TalariaRuntime> runtimes = new ArrayList<>();
        // an authenticated authority, as deployed; unlimited rows: the benchmark's requests would pass any cap within a run
        String token = SetupClients.newToken();
        try (CloudServer cloud = CloudServer.start(folded, CloudServer.Options.loopback(0));
             SetupServer setup = SetupServer.start(new SetupAuthority(folded), SetupServer.Options.secure("127.0.0.1", 0,
                     SetupClients.of("bench", token, RowBudget.UNLIMITED)).withRate(0).withConcurrency(2, Duration.ofMinutes(5)))) {
            for (Setting s : settings) {
                MaskedRemoteBackend backend = new MaskedRemoteBackend(
                        new CloudConnection(cloud.uri(), CloudConnection.Retry.DEFAULT, s.transport()),
                        new HttpSetupService(setup.uri(), token, null), s.options());
                TalariaRuntime.Decoys decoys = s.decoys() == 0 ? TalariaRuntime.Decoys.NONE
                        : new TalariaRuntime.Decoys(s.decoys(), DecoySource.uniform(config.vocabSize()), Set.of());
                TalariaRuntime runtime = new TalariaRuntime(backend, decoys);
                runtimes.add(runtime);
                // after each request the client idles until its next request's setup (prepared in the background) is
                // done, so that the authority's work does not fall into another setting's timing
                subjects.add(new Subject(s.name(), listener -> {
                    Generation g = runtime.generate(prompt, gen, listener, id -> false);
                    runtime.awaitPrepared();
                    return g;
                }, runtime.stats(), cloud.stats()));
            }
            for (int warm = 0; warm < 2; warm++) for (Subject s : subjects) s.run.once(TokenListener.NONE);   // JIT, connections
            for (int rep = 0; rep < options.repetitions(); rep++) {
                for (Subject s : subjects) s.measureOnce(expected);
                progress.printf("round %d of %d: local TPOT %.3f ms%n", rep + 1, options.repetitions(), subjects.getFirst().tpot.getLast());
                progress.flush();
            }
        } finally {
            runtimes.forEach(TalariaRuntime::close);
        }
        Subject local = subjects.getFirst();
        List<Result> results = subjects.stream().map(s -> s.result(local)).toList();
        for (Result r : results)
            progress.printf("%s: TTFT %.1f ms (%.2f x local), TPOT %.3f ms (%.2f x local)%n", r.setting(), r.ttftMs(), r.ttftRatio(),
                    r.tpotMs(), r.tpotRatio());
        progress.flush();
        return new Report(LocalDateTime.now().withNano(0).toString(), commandLine, machine, modelName, config.architecture().modelType,
                config.hiddenSize(), config.numLayers(), config.intermediateSize(), config.vocabSize(), options.promptTokens(),
                options.tokens(), options.repetitions(), TPOT_TARGET, results);
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
        final List<Double> ttft = new ArrayList<>(), tpot = new ArrayList<>(), bytes = new ArrayList<>(), trips = new ArrayList<>(),
                setup = new ArrayList<>(), wait = new ArrayList<>(), handler = new ArrayList<>();

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
            long t0 = System.nanoTime();
            Generation g = run.once(first);
            long end = first.last;
            if (!Arrays.equals(g.outputIds(), expected))
                throw new IllegalStateException(name + ": output differs from the plain engine's: " + Arrays.toString(g.outputIds())
                        + " vs " + Arrays.toString(expected));
            int decoded = g.outputIds().length - 1;
            double decodeNanos = end - first.at;
            ttft.add((first.at - t0) / 1e6);
            tpot.add(decodeNanos / 1e6 / decoded);
            if (wire != null) {
                WireStats.Snapshot d = wire.snapshot().minus(first.wire);
                bytes.add((double) (d.bytesSent() + d.bytesReceived()) / decoded);
                trips.add((double) d.roundTrips() / decoded);
                setup.add((double) wire.snapshot().minus(start).setupBytes());
                wait.add(d.waitNanos() / decodeNanos);
                handler.add((cloud.handlerNanos() - first.cloudHandler) / decodeNanos);
            }
        }

        Result result(Subject local) {
            double ttftMs = median(ttft), tpotMs = median(tpot);
            return new Result(name, ttftMs, tpotMs, ttftMs / median(local.ttft), tpotMs / median(local.tpot), median(bytes),
                    median(trips), median(setup), median(wait), median(handler), true);
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
        Files.createDirectories(dir);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmmss"));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("talaria-" + stamp + ".json").toFile(), report);
        Path md = dir.resolve("talaria-" + stamp + ".md");
        Files.writeString(md, TalariaBenchTable.markdown(report));
        return md;
    }
}
