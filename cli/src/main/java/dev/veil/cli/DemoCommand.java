package dev.veil.cli;

import dev.veil.attack.Progress;
import dev.veil.attack.capture.TalariaRun;
import dev.veil.attack.talaria.JointLikelihoodAttack;
import dev.veil.attack.talaria.TalariaTarget;
import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.StopCondition;
import dev.veil.engine.TokenListener;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.GenerationConfig;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.authority.RowBudget;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupClients;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.client.HttpSetupService;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.client.WireStats;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil demo}: one question, three ways, on the bundled model — plain local generation, AloePri (obfuscated
 * model on an untrusted server behind the trusted gateway) and Talaria (masked weight products on a cloud that keeps
 * the weights) — with what the untrusted side saw each time.
 */
@Command(name = "demo", description = "Private chat on the bundled model: plain, through AloePri, and through Talaria.")
public final class DemoCommand implements Callable<Integer> {

    public static final String BUNDLED = "models/veil-sotu-qwen2";

    /** The bundled model's directory in this checkout ({@code -Dveil.home}, which the launcher sets). */
    public static Path bundled() {
        return Path.of(System.getProperty("veil.home", ".")).resolve(BUNDLED);
    }

    static final String PROMPT = "The state of the Union is";
    /**
     * The demo's sampling: greedy (so Talaria's answer can be checked token for token against the plain one) with the
     * penalties of the model's generation_config.json, the one place they live ({@code repetition_penalty}, which Hugging
     * Face and vLLM read from the file too, and Veil's {@code frequency_penalty}). The bundled model's 1.3 and 0.3 stop its
     * greedy loops ("and the United States, and the United States, ..."): no 4-gram more than twice in 128 tokens on the
     * demo prompts, plain or as chat (DemoSamplingTest; docs/sampling.md has what else was tried).
     */
    static SamplingParams sampling(GenerationConfig generation) {
        return SamplingParams.GREEDY.withPenalties(
                generation.repetitionPenalty() != null ? generation.repetitionPenalty() : 1,
                0,
                generation.frequencyPenalty() != null ? generation.frequencyPenalty() : 0);
    }

    @Option(names = "--model", description = "HF model directory (default: the bundled " + BUNDLED + ")")
    Path model;

    @Option(
            names = "--prompt",
            defaultValue = PROMPT,
            description =
                    "the prompt (default: ${DEFAULT-VALUE}; the bundled model completes State of the Union prose)")
    String question;

    @Option(names = "--chat", description = "send the prompt as a chat message through the model's chat template")
    boolean chat;

    @Option(names = "--max-tokens", defaultValue = "40", description = "tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(
            names = "--repetition-penalty",
            description = "divide positive (multiply negative) logits of tokens already seen; 1 = off"
                    + " (default: the model's generation_config.json, else 1)")
    Double repetitionPenalty;

    @Option(
            names = "--frequency-penalty",
            description = "subtract per earlier occurrence in the answer; 0 = off"
                    + " (default: the model's generation_config.json, else 0)")
    Double frequencyPenalty;

    @Override
    public Integer call() throws Exception {
        Path dir = model != null ? model : bundled();
        if (!Files.isDirectory(dir))
            throw new IllegalArgumentException(dir + ": no model directory (give --model DIR)");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        // the servers' INFO lines would bury the demo's output; restored afterwards
        Logger root = Logger.getLogger("");
        Level level = root.getLevel();
        if (System.getenv("VEIL_DEBUG") == null) root.setLevel(Level.WARNING);
        try {
            return run(dir, out);
        } finally {
            root.setLevel(level);
        }
    }

    private int run(Path dir, PrintStream out) throws Exception {
        try (LocalModel m = LocalModel.open(dir, null, Parallel.shared())) {
            Tokenizer tok = m.tokenizer();
            int[] prompt = PromptOptions.ids(tok, question, null, chat, false);
            Set<Integer> stops = new HashSet<>(tok.eosIds());
            stops.addAll(m.files().generation().eosTokenIds());
            SamplingParams model = sampling(m.files().generation());
            SamplingParams sampling = SamplingParams.GREEDY.withPenalties(
                    repetitionPenalty != null ? repetitionPenalty : model.repetitionPenalty(),
                    0,
                    frequencyPenalty != null ? frequencyPenalty : model.frequencyPenalty());
            var options = new GenerationOptions(maxTokens, sampling, stops);

            out.printf("== Veil demo on %s — prompt: %s%n", dir, question);
            out.printf(
                    "greedy, repetition penalty %s, frequency penalty %s (the same in all three)%n%n",
                    sampling.repetitionPenalty(), sampling.frequencyPenalty());
            out.println("-- 1. plain: the model on this machine (the reference answer)");
            Generation plain = new Generator(m.transformer()).generate(prompt, options);
            out.printf("answer: %s%n%n", tok.decode(plain.outputIds(), true).strip());

            out.println(
                    "-- 2. AloePri: the untrusted server runs an obfuscated checkpoint and sees only permuted token ids");
            PrivateChatDemo.runAloePri(dir, question, maxTokens, chat, sampling, out);
            // measured by `veil experiment aloepri-frontier` (docs/results/aloepri/aloepri-frontier.md); rerun it when
            // the defaults change
            out.println(
                    "(AloePri at Veil's defaults leaks and costs, on this model: the strongest weight-only attack recovers about half of held-out"
                            + " text tokens (52% and 63% with two keys; reading nothing: 2.5%) at +52% held-out perplexity, 51% next-token agreement;"
                            + " so its answer differs from the plain one.)");
            out.println();

            out.println(
                    "-- 3. Talaria: the cloud keeps the weights; this client sends every weight product on masked rows");
            FoldedModel folded = FoldedModel.fold(m.files().config(), m.files().weights());
            // the authority issues this process's client a token, as an operator would after attesting it
            String token = SetupClients.newToken();
            try (CloudServer cloud = CloudServer.start(folded, CloudServer.Options.loopback(0));
                    SetupServer setup = SetupServer.start(
                            new SetupAuthority(folded),
                            SetupServer.Options.secure(
                                    "127.0.0.1", 0, SetupClients.of("demo", token, RowBudget.UNLIMITED)));
                    TalariaRuntime runtime = TalariaRuntime.connect(
                            cloud.uri(),
                            new HttpSetupService(setup.uri(), token, null),
                            TalariaOptions.DEFAULT,
                            Transport.Kind.SOCKET,
                            CloudConnection.Retry.DEFAULT,
                            TalariaRuntime.Decoys.NONE)) {
                out.printf(
                        "cloud %s (weights, never sees a token), setup authority %s (model vendor, never sees a row)%n",
                        cloud.uri(), setup.uri());
                Generation g = runtime.generate(prompt, options, TokenListener.NONE, StopCondition.NEVER);
                WireStats s = runtime.stats();
                out.printf("answer: %s%n", tok.decode(g.outputIds(), true).strip());
                boolean same = Arrays.equals(g.outputIds(), plain.outputIds());
                out.printf(
                        "identical to the plain model's answer: %s (%d tokens)%n",
                        same ? "yes" : "NO", g.outputIds().length);
                out.printf(
                        "crossed the wire: %d round trips, %,d bytes to the cloud, %,d bytes back, %,d bytes of setup material;"
                                + " masks: %s hidden, %s embedding, %d integrity check vector(s)%n",
                        s.roundTrips(),
                        s.bytesSent(),
                        s.bytesReceived(),
                        s.setupBytes(),
                        TalariaOptions.DEFAULT.hidden(),
                        TalariaOptions.DEFAULT.embed(),
                        TalariaOptions.DEFAULT.checkVectors());
                out.println(leak(m.files().config(), m.files().weights(), dir, prompt, maxTokens));
                if (!same) return 1;
            }
        }
        return 0;
    }

    /**
     * What the cloud could read of this prompt: a greedy run of it recorded at the cloud's door (the joint attack's
     * decoding rule is plain greedy, not the demo's penalties), attacked by the joint attack beside its reads-nothing twin.
     */
    private static String leak(ModelConfig c, Weights w, Path dir, int[] prompt, int maxTokens) throws IOException {
        TalariaRun.Result run = TalariaRun.run(
                c,
                w,
                dir,
                new TalariaRun.Veil(TalariaOptions.DEFAULT),
                List.of(prompt),
                maxTokens,
                TalariaRun.all(),
                () -> {});
        TalariaTarget target = new TalariaTarget(run.capture(), c, w);
        int[] truth = run.truth().requests().getFirst().processed();
        var joint = new JointLikelihoodAttack.Options(1, 32, true, true, true, null, null);
        int read = recovered(new JointLikelihoodAttack(joint, 1), target, truth);
        int nothing = recovered(new JointLikelihoodAttack(joint.readingNothing(), 1), target, truth);
        return String.format(
                Locale.ROOT,
                "what the cloud could read: the joint attack (every row it was sent, the model as prior, the greedy"
                        + " rule) on a greedy run of this prompt recovers %d of %d tokens; the same decoder reading nothing, %d"
                        + " (mask scale %.1f for %d layers; the full audit: docs/results/audit.md)",
                read,
                truth.length,
                nothing,
                TalariaOptions.depthScale(c),
                c.numLayers());
    }

    private static int recovered(JointLikelihoodAttack attack, TalariaTarget target, int[] truth) {
        int[] best = attack.attack(target, Progress.NONE).getFirst().best();
        int hits = 0;
        for (int i = 0; i < truth.length; i++) if (best[i] == truth[i]) hits++;
        return hits;
    }
}
