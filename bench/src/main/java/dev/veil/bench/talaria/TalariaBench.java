package dev.veil.bench.talaria;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.client.DecoySource;
import dev.veil.talaria.client.HttpSetupService;
import dev.veil.talaria.client.MaskedRemoteBackend;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.client.WireStats;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.SetupAuthority;
import dev.veil.talaria.cloud.SetupServer;
import dev.veil.talaria.protocol.MaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * {@code veil talaria bench}: time to first token and time per output token of Talaria against the local plain engine
 * on the same weights, in one run, with the cloud and the setup authority on loopback sockets in the same process
 * (they share the machine's cores with the client, as a loopback deployment does). Also the bytes and round trips per
 * decoded token, the setup cost, and how much of a token the client spent waiting for the cloud. Writes JSON and a
 * markdown table. Ratios, not absolute times, are the result: shared machines are noisy.
 */
public final class TalariaBench {

    /** What to run: prompt length, tokens generated, repetitions (the median is reported). */
    public record Options(int promptTokens, int tokens, int repetitions) {
        public Options {
            if (promptTokens < 1 || tokens < 2 || repetitions < 1)
                throw new IllegalArgumentException("need prompt tokens >= 1, tokens >= 2, repetitions >= 1");
        }
    }

    /** One Talaria configuration measured. */
    public record Setting(String name, TalariaOptions options, int decoys) {}

    /** Medians of one setting's repetitions. */
    public record Result(String setting, double ttftMs, double tpotMs, double bytesPerToken, double roundTripsPerToken,
                         double setupBytes, double waitShare) {}

    public static List<Setting> defaultSettings() {
        TalariaOptions d = TalariaOptions.DEFAULT;
        TalariaOptions remo = d.withHidden(MaskSpec.remo(0.5));
        return List.of(
                new Setting("plaintext split (no masks, no check)", TalariaOptions.plaintext(), 0),
                new Setting("default: one-time pools sized per request, check 1", d, 0),
                new Setting("one-time pools, one setup per session", d.withRefresh(TalariaOptions.Refresh.SESSION), 0),
                new Setting("ReMO 0.5 (paper), refresh per request", remo, 0),
                new Setting("ReMO 0.5, refresh per session", remo.withRefresh(TalariaOptions.Refresh.SESSION), 0),
                new Setting("ReMO 0.125, refresh per session", d.withHidden(MaskSpec.remo(0.125)).withRefresh(TalariaOptions.Refresh.SESSION), 0),
                new Setting("default + 1 decoy sequence", d, 1));
    }

    private final ModelConfig config;
    private final Weights weights;
    private final Options options;

    public TalariaBench(ModelConfig config, Weights weights, Options options) {
        this.config = config;
        this.weights = weights;
        this.options = options;
    }

    /** Runs the local engine and every setting; returns the local result first. */
    public List<Result> run(List<Setting> settings, java.io.PrintWriter progress) throws IOException {
        int[] prompt = new Random(1).ints(options.promptTokens(), 0, config.vocabSize()).toArray();
        GenerationOptions gen = new GenerationOptions(options.tokens(), SamplingParams.GREEDY, Set.of());
        List<Result> results = new ArrayList<>();
        LocalLinearBackend local = new LocalLinearBackend(config, weights, Parallel.shared());
        Generator plain = new Generator(new Transformer(local));
        int[] expected = plain.generate(prompt, gen).outputIds();
        results.add(measure("local plain engine", () -> plain.generate(prompt, gen), null));
        progress.println("local plain engine: " + describe(results.getLast()));
        progress.flush();

        FoldedModel folded = FoldedModel.fold(config, weights);
        try (CloudServer cloud = CloudServer.start(folded, CloudServer.Options.loopback(0));
             SetupServer setup = SetupServer.start(new SetupAuthority(folded), "127.0.0.1", 0)) {
            for (Setting s : settings) {
                MaskedRemoteBackend backend = new MaskedRemoteBackend(
                        new CloudConnection(cloud.uri(), CloudConnection.Retry.DEFAULT, Transport.Kind.SOCKET),
                        new HttpSetupService(setup.uri()), s.options());
                TalariaRuntime.Decoys decoys = s.decoys() == 0 ? TalariaRuntime.Decoys.NONE
                        : new TalariaRuntime.Decoys(s.decoys(), DecoySource.uniform(config.vocabSize()), Set.of());
                try (TalariaRuntime runtime = new TalariaRuntime(backend, decoys)) {
                    Result r = measure(s.name(), () -> {
                        Generation g = runtime.generate(prompt, gen, TokenListener.NONE, t -> false);
                        if (!Arrays.equals(g.outputIds(), expected))
                            throw new IllegalStateException(s.name() + ": output differs from the plain engine's");
                        return g;
                    }, runtime.stats());
                    results.add(r);
                    progress.println(s.name() + ": " + describe(r));
                    progress.flush();
                }
            }
        }
        return results;
    }

    private interface Run {
        Generation once();
    }

    /** One warm-up, then the medians over the repetitions; traffic from the client's counters. */
    private Result measure(String name, Run run, WireStats stats) {
        run.once();
        int reps = options.repetitions();
        double[] ttft = new double[reps], tpot = new double[reps], bytes = new double[reps], trips = new double[reps],
                setup = new double[reps], wait = new double[reps];
        for (int i = 0; i < reps; i++) {
            WireStats.Snapshot before = stats == null ? null : stats.snapshot();
            Generation g = run.once();
            var t = g.timings();
            int decoded = t.generatedTokens() - 1;
            ttft[i] = t.prefillNanos() / 1e6;
            tpot[i] = t.decodeNanos() / 1e6 / decoded;
            if (stats != null) {
                WireStats.Snapshot s = stats.snapshot().minus(before);
                // per pass: the prompt's prefill plus one pass per decoded token; bytes per pass of one row
                int passes = decoded + 1;
                trips[i] = (double) s.roundTrips() / passes;
                bytes[i] = (s.bytesSent() + s.bytesReceived()) / (double) passes;
                setup[i] = s.setupBytes();
                wait[i] = s.waitNanos() / (double) (t.prefillNanos() + t.decodeNanos());
            }
        }
        return new Result(name, median(ttft), median(tpot), stats == null ? 0 : median(bytes),
                stats == null ? 0 : median(trips), stats == null ? 0 : median(setup), stats == null ? 0 : median(wait));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String describe(Result r) {
        return String.format("TTFT %.1f ms, TPOT %.2f ms", r.ttftMs(), r.tpotMs());
    }

    /** Writes {@code talaria-<timestamp>.json} and {@code .md} into {@code dir}; returns the markdown path. */
    public Path write(List<Result> results, Path dir, String commandLine) throws IOException {
        Files.createDirectories(dir);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Result local = results.getFirst();
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("benchmark", "talaria");
        root.put("command", commandLine);
        root.put("cpu", cpuModel());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("jdk", System.getProperty("java.vm.version"));
        root.set("model", config.toJson());
        root.put("prompt_tokens", options.promptTokens());
        root.put("generated_tokens", options.tokens());
        root.put("repetitions", options.repetitions());
        ArrayNode rows = root.putArray("results");
        StringBuilder md = new StringBuilder("# Talaria vs the local plain engine\n\n")
                .append(String.format("`%s` — %s, %d cores, JDK %s. Model: %s, d=%d, L=%d, d_ff=%d, V=%d. Prompt %d tokens, %d generated, "
                                + "median of %d runs after a warm-up. Cloud and setup authority on loopback in the same process.%n%n",
                        commandLine, cpuModel(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"),
                        config.architecture(), config.hiddenSize(), config.numLayers(), config.intermediateSize(), config.vocabSize(),
                        options.promptTokens(), options.tokens(), options.repetitions()))
                .append("| setting | TTFT ms | TTFT × local | TPOT ms | TPOT × local | bytes / pass | round trips / pass | setup bytes / request | time waiting for the cloud |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (Result r : results) {
            ObjectNode o = rows.addObject();
            o.put("setting", r.setting());
            o.put("ttft_ms", r.ttftMs());
            o.put("tpot_ms", r.tpotMs());
            o.put("ttft_ratio", r.ttftMs() / local.ttftMs());
            o.put("tpot_ratio", r.tpotMs() / local.tpotMs());
            o.put("bytes_per_pass", r.bytesPerToken());
            o.put("round_trips_per_pass", r.roundTripsPerToken());
            o.put("setup_bytes", r.setupBytes());
            o.put("wait_share", r.waitShare());
            md.append(String.format("| %s | %.1f | %.2f | %.2f | %.2f | %.0f | %.1f | %.0f | %.0f %% |%n", r.setting(), r.ttftMs(),
                    r.ttftMs() / local.ttftMs(), r.tpotMs(), r.tpotMs() / local.tpotMs(), r.bytesPerToken(), r.roundTripsPerToken(),
                    r.setupBytes(), 100 * r.waitShare()));
        }
        md.append("\nbytes / pass and round trips / pass average the prompt's prefill pass with the decode passes; "
                + "the decode-only volume follows the formula in docs/talaria.md.\n");
        Path jsonFile = dir.resolve("talaria-" + stamp + ".json"), mdFile = dir.resolve("talaria-" + stamp + ".md");
        json.writerWithDefaultPrettyPrinter().writeValue(jsonFile.toFile(), root);
        Files.writeString(mdFile, md);
        return mdFile;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }
}
