package dev.veil.cli;

import dev.veil.aloepri.KeyFile;
import dev.veil.attack.audit.AloePriAudit;
import dev.veil.attack.audit.AuditReport;
import dev.veil.attack.audit.AuditResult;
import dev.veil.attack.audit.AuditText;
import dev.veil.attack.audit.Bars;
import dev.veil.attack.audit.ExpertUsageAudit;
import dev.veil.attack.audit.TalariaAudit;
import dev.veil.attack.capture.Capture;
import dev.veil.attack.capture.CaptureFiles;
import dev.veil.attack.capture.Mode;
import dev.veil.attack.capture.Truth;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.RandomModel;
import dev.veil.model.VeilCache;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.data.Split;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veil audit --mode talaria|aloepri}: what an honest-but-curious server recovers from a deployment, measured by
 * running the attacks on what it sees. Sweeps the deployment's settings on a model ({@code --model}) or attacks one
 * saved capture ({@code --capture}); writes an HTML report with plots and the JSON behind it.
 */
@Command(
        name = "audit",
        description = {
            "Run the attacks of Veil's threat model against a deployment and report how many tokens they recover.",
            "  --model DIR    run the deployment under a sweep of settings (Talaria: mask options and m/d; AloePri: alpha_e,",
            "                 alpha_h, lambda around the paper's defaults), capture what the server sees, attack, score",
            "  --capture DIR  attack one saved capture (capture.json, tensors.safetensors, truth.json)",
            "  --obfuscated DIR --key KEY --model DIR   AloePri self-audit: the weight-only attacks on your own obfuscated",
            "                 checkpoint (the key gives the truth), the strongest beside reading nothing, a warning above --audit-threshold"
        })
public final class AuditCommand implements Callable<Integer> {

    @Option(names = "--mode", required = true, description = "talaria or aloepri")
    String mode;

    @Option(
            names = "--model",
            paramLabel = "DIR",
            description = "the public (plain) model: Hugging Face directory with tokenizer.json")
    Path model;

    @Option(names = "--capture", paramLabel = "DIR", description = "attack this saved capture instead of sweeping")
    Path capture;

    @Option(
            names = "--obfuscated",
            paramLabel = "DIR",
            description = "AloePri self-audit: your obfuscated checkpoint (with --key and --model)")
    Path obfuscated;

    @Option(
            names = "--key",
            paramLabel = "KEYFILE",
            description = "AloePri self-audit: the checkpoint's secret key file")
    Path key;

    @Mixin
    Passphrases passphrases = new Passphrases();

    @Option(
            names = "--audit-threshold",
            defaultValue = AloePriSelfAudit.DEFAULT_THRESHOLD,
            paramLabel = "P",
            description =
                    "self-audit: warn when the strongest attack recovers more than this share of held-out text tokens (default: ${DEFAULT-VALUE})")
    double auditThreshold;

    @Option(names = "--truth", paramLabel = "FILE", description = "the capture's plaintext (default: DIR/truth.json)")
    Path truth;

    @Option(
            names = "--heldout",
            paramLabel = "FILE",
            description =
                    "users' text, .jsonl documents or plain text (default: the SOTU held-out split, 2000-2021; `veil data fetch sotu`)")
    Path heldout;

    @Option(
            names = "--public",
            paramLabel = "FILE",
            description = "the attacker's public text (default: the SOTU training split, before 2000)")
    Path publicText;

    @Option(names = "--prompts", defaultValue = "8", description = "requests per setting (default: ${DEFAULT-VALUE})")
    int prompts;

    @Option(
            names = "--prompt-tokens",
            defaultValue = "32",
            description = "prompt length in tokens (default: ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(
            names = "--tokens",
            defaultValue = "16",
            description = "tokens generated per request (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(
            names = "--public-tokens",
            defaultValue = "20000",
            description = "tokens of public text the attacker trains on (default: ${DEFAULT-VALUE})")
    int publicTokens;

    @Option(names = "--quick", description = "only the key settings (no sweeps)")
    boolean quick;

    @Option(
            names = "--match-budget",
            defaultValue = "256",
            description = "Talaria vocabulary matching: candidates per position (default: ${DEFAULT-VALUE})")
    int matchBudget;

    @Option(
            names = "--match-requests",
            defaultValue = "2",
            description = "Talaria vocabulary matching: requests attacked (default: ${DEFAULT-VALUE})")
    int matchRequests;

    @Option(
            names = "--isa-requests",
            defaultValue = "1",
            description = "AloePri ISA: requests inverted (default: ${DEFAULT-VALUE})")
    int isaRequests;

    @Option(
            names = "--isa-positions",
            defaultValue = "24",
            description = "AloePri ISA: prompt tokens inverted per request (default: ${DEFAULT-VALUE})")
    int isaPositions;

    @Option(
            names = "--isa-steps",
            defaultValue = "150",
            description = "AloePri ISA: gradient steps (default: ${DEFAULT-VALUE})")
    int isaSteps;

    @Option(
            names = "--isa-budget",
            defaultValue = "256",
            description = "AloePri ISA on hidden states: candidates tried per position (default: ${DEFAULT-VALUE})")
    int isaBudget;

    @Option(names = "--save-captures", paramLabel = "DIR", description = "also write every setting's capture under DIR")
    Path saveCaptures;

    @Option(
            names = "--out",
            paramLabel = "BASE",
            description = "report path without extension (default: docs/results/audit-MODE)")
    Path out;

    @Option(names = "--no-progress", description = "no progress bars")
    boolean noProgress;

    @Option(
            names = "--attacks",
            split = ",",
            paramLabel = "TEXT",
            description = "only the attacks whose name contains one of these (those that read nothing always run)")
    List<String> onlyAttacks;

    @Option(
            names = "--settings",
            split = ",",
            paramLabel = "TEXT",
            description = "only the settings whose name contains one of these")
    List<String> onlySettings;

    @Option(
            names = "--joint-beams",
            defaultValue = "4",
            description = "Talaria joint attack: beam width (default: ${DEFAULT-VALUE})")
    int jointBeams;

    @Option(
            names = "--joint-candidates",
            defaultValue = "32",
            description = "Talaria joint attack: tokens per beam run through the model (default: ${DEFAULT-VALUE})")
    int jointCandidates;

    @Option(
            names = "--true-prefix",
            description =
                    "Talaria: also score the joint evidence alone given the true prefix (an analysis of how evidence adds up, not an attack)")
    boolean oracle;

    @Option(
            names = "--random-layers",
            paramLabel = "L",
            description =
                    "audit a random-weight model of the bundled model's width (d 256, V 4096) with L layers, generated once into the cache (depth studies)")
    Integer randomLayers;

    @Option(
            names = "--random-moe",
            description =
                    "Talaria: audit the expert routing of a random-weight Qwen3-MoE model (d 256, V 4096, 4 sparse layers, 32 experts, top-4), generated once into the cache")
    boolean randomMoe;

    @Option(
            names = "--mask-scales",
            split = ",",
            paramLabel = "S",
            description =
                    "Talaria: the mask-scale sweep (default: 0.125,0.5,2,8 and the default's own; kept by --quick when given)")
    List<Double> maskScales;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Mode m = Mode.parse(mode);
        if (obfuscated != null || key != null) {
            if (m != Mode.ALOEPRI)
                throw new IllegalArgumentException("--obfuscated/--key are the AloePri self-audit: use --mode aloepri");
            if (obfuscated == null || key == null || model == null)
                throw new IllegalArgumentException(
                        "the self-audit needs --obfuscated DIR, --key KEYFILE and --model DIR (the public model)");
            AloePriSelfAudit.run(
                    model,
                    obfuscated,
                    KeyFile.read(key, passphrases.resolve()),
                    auditThreshold,
                    spec.commandLine().getOut());
            return 0;
        }
        if (randomLayers != null) {
            if (model != null) throw new IllegalArgumentException("give --model DIR or --random-layers L, not both");
            model = randomModel(randomLayers);
        }
        if (randomMoe) {
            if (model != null) throw new IllegalArgumentException("give --model DIR or --random-moe, not both");
            if (m != Mode.TALARIA)
                throw new IllegalArgumentException("--random-moe audits Talaria: use --mode talaria");
            model = randomMoeModel();
        }
        if ((model == null) == (capture == null))
            throw new IllegalArgumentException("give exactly one of --model DIR (sweep) or --capture DIR");
        PrintWriter console = spec.commandLine().getOut();
        Bars bars = new Bars(!noProgress);
        Path base = out != null ? out : Path.of("docs", "results", "audit-" + m);
        AuditResult result = capture != null ? attackCapture(m, bars) : sweep(m, bars);
        for (Path p : AuditReport.write(result, base)) console.println("written: " + p);
        for (var setting : result.settings())
            AuditResult.headline(setting)
                    .ifPresent(h -> console.println(setting.name() + ": " + AuditReport.headlineText(h)));
        console.flush();
        return 0;
    }

    /** A random-weight Qwen2 model of the bundled model's shape but {@code layers} deep, written once under the cache. */
    private static Path randomModel(int layers) throws IOException {
        if (layers < 1 || layers > 128)
            throw new IllegalArgumentException("--random-layers must be 1..128, got " + layers);
        Path dir = VeilCache.dir().resolve("models").resolve("random-qwen2-d256-v4096-l" + layers);
        return RandomModel.writeOnce(
                dir,
                RandomModel.config(
                        ModelConfig.Architecture.QWEN2, 4096, 256, 640, layers, 4, 2, 64, null, false, true, "float32"),
                DType.F32);
    }

    /** A random-weight Qwen3-MoE model (every layer sparse), written once under the cache. */
    private static Path randomMoeModel() throws IOException {
        Path dir = VeilCache.dir().resolve("models").resolve("random-qwen3moe-d256-v4096-l4-e32k4");
        return RandomModel.writeOnce(
                dir,
                RandomModel.config(
                        ModelConfig.Architecture.QWEN3_MOE,
                        4096,
                        256,
                        640,
                        4,
                        4,
                        2,
                        64,
                        new ModelConfig.Moe(32, 4, 128, true, 1, List.of())),
                DType.F32);
    }

    private boolean selected(String attack) {
        return NameFilter.matches(attack, onlyAttacks);
    }

    /** Saved captures name the model; an absolute path lets `--capture` find it from any directory. */
    private static Path absolute(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /** The tokens of public text the attacker trains on: {@code --public}, else the SOTU training split. */
    private int[] publicTokens(Tokenizer tok) throws IOException {
        return AuditText.tokens(
                tok, AuditText.read(publicText != null ? publicText : Split.TRAIN.path(VeilCache.dir())), publicTokens);
    }

    /** {@code settings} cut to those {@code --settings} names (all without it). */
    private <S> List<S> only(List<S> settings, Function<S, String> name) {
        return NameFilter.matching(settings, onlySettings, name);
    }

    /** The Talaria attacks' options of this command line, for a sweep or (no prompts, nothing saved) a capture. */
    private TalariaAudit.Options talariaOptions(List<int[]> prompts, int[] pub, List<String> matchSettings, Path save) {
        return new TalariaAudit.Options(
                prompts,
                tokens,
                pub,
                matchBudget,
                matchRequests,
                matchSettings,
                save,
                jointBeams,
                jointCandidates,
                oracle,
                this::selected);
    }

    /** The AloePri attacks' options of this command line, for a sweep or (no prompts, nothing saved) a capture. */
    private AloePriAudit.Options aloePriOptions(
            List<int[]> prompts, int[] pub, int[] heldoutTokens, List<String> isaSettings, Path save) {
        return new AloePriAudit.Options(
                prompts,
                tokens,
                pub,
                heldoutTokens,
                List.of("attacker-key-1", "attacker-key-2"),
                isaRequests,
                isaPositions,
                isaSteps,
                isaBudget,
                isaSettings,
                save);
    }

    private AuditResult sweep(Mode m, Bars bars) throws Exception {
        try (ModelFiles files = ModelFiles.open(model)) {
            Tokenizer tok = Tokenizer.load(files.tokenizerDir());
            List<String> users = AuditText.read(heldout != null ? heldout : Split.HELDOUT.path(VeilCache.dir()));
            int[] pub = publicTokens(tok);
            List<int[]> ps = AuditText.prompts(tok, users, prompts, promptTokens);
            var config = files.config();
            if (m == Mode.TALARIA && config.moe() != null)
                // a mixture-of-experts model: the routing's own leak (the row attacks are audited on dense models)
                return ExpertUsageAudit.run(
                        config,
                        files.weights(),
                        absolute(model).toString(),
                        ExpertUsageAudit.standardCovers(config),
                        ps,
                        tokens,
                        pub,
                        bars);
            if (m == Mode.TALARIA) {
                var settings = maskScales != null
                        ? TalariaAudit.standardSettings(
                                config,
                                maskScales.stream()
                                        .mapToDouble(Double::doubleValue)
                                        .toArray())
                        : TalariaAudit.standardSettings(config);
                if (quick)
                    settings = settings.stream()
                            .filter(s -> List.of(
                                                    TalariaAudit.PLAINTEXT,
                                                    TalariaAudit.DEFAULT,
                                                    TalariaAudit.REMO_SESSION,
                                                    TalariaAudit.REUSED)
                                            .contains(s.name())
                                    || maskScales != null && s.axis().equals("mask scale"))
                            .toList();
                var o = talariaOptions(
                        ps,
                        pub,
                        List.of(TalariaAudit.PLAINTEXT, TalariaAudit.DEFAULT, TalariaAudit.REMO_SESSION),
                        saveCaptures);
                return TalariaAudit.run(
                        config, files.weights(), absolute(model), only(settings, TalariaAudit.Setting::name), o, bars);
            }
            int[] heldoutTokens = AuditText.tokens(tok, users, Math.min(256, config.maxPositionEmbeddings()));
            var settings = AloePriAudit.standardSettings(config.hiddenSize());
            if (quick)
                settings = settings.stream().filter(s -> s.axis().isEmpty()).toList();
            var o = aloePriOptions(
                    ps,
                    pub,
                    heldoutTokens,
                    List.of(AloePriAudit.PLAIN, AloePriAudit.DEFAULTS, AloePriAudit.NO_NOISE),
                    saveCaptures);
            return AloePriAudit.run(
                    config, files.weights(), absolute(model), only(settings, AloePriAudit.Setting::name), o, bars);
        }
    }

    private AuditResult attackCapture(Mode m, Bars bars) throws Exception {
        Capture c = CaptureFiles.read(capture);
        if (c.mode() != m)
            throw new IllegalArgumentException(capture + " is a " + c.mode() + " capture, not "
                    + m.toString().toLowerCase(Locale.ROOT));
        Truth t = CaptureFiles.readTruth(truth != null ? truth : capture.resolve(CaptureFiles.TRUTH));
        try (ModelFiles pub = ModelFiles.open(c.publicModel())) {
            Tokenizer tok = Tokenizer.load(pub.tokenizerDir());
            int[] pubTokens = publicTokens(tok);
            if (m == Mode.TALARIA) {
                var o = talariaOptions(List.of(), pubTokens, List.of(), null);
                return TalariaAudit.attackCapture(c, t, pub.config(), pub.weights(), o, bars);
            }
            try (ModelFiles served = ModelFiles.open(c.model())) {
                var o = aloePriOptions(List.of(), pubTokens, new int[0], List.of(), null);
                return AloePriAudit.attackCapture(
                        c, t, served.config(), served.weights(), pub.config(), pub.weights(), o, bars);
            }
        }
    }
}
