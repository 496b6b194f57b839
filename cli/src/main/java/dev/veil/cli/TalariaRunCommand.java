package dev.veil.cli;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.SamplingParams;
import dev.veil.talaria.client.DecoySource;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.client.WireStats;
import dev.veil.tokenizer.StreamingDecoder;
import dev.veil.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code veil talaria run}: one prompt through the Talaria client runtime. */
@Command(
        name = "run",
        description =
                "Generate from a prompt with the Talaria client: tokenizer, attention, KV cache and sampling run here; "
                        + "every weight product is computed by the cloud on masked rows. Prints the answer, then the traffic.")
public final class TalariaRunCommand implements Callable<Integer> {

    @Option(names = "--cloud", required = true, description = "the cloud's base URL, e.g. http://127.0.0.1:8000")
    URI cloud;

    @Mixin
    PlainTokenizer tokenizer;

    @Mixin
    PromptOptions prompt;

    @Option(
            names = "--decoys",
            defaultValue = "0",
            description = "decoy sequences run alongside the prompt (default: ${DEFAULT-VALUE})")
    int decoys;

    @Option(
            names = "--decoy-text",
            description = "text file the decoy prompts are cut from (text like the user's; needed with --decoys)")
    Path decoyText;

    @Mixin
    TalariaClientOptions client;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Tokenizer tok = tokenizer.load();
        int[] ids = prompt.ids(tok, null, false);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        TalariaRuntime.Decoys decoyPlan = TalariaRuntime.Decoys.NONE;
        if (decoys > 0) {
            if (decoyText == null)
                throw new IllegalArgumentException(
                        "--decoys needs --decoy-text FILE (decoys must look like real text)");
            decoyPlan = new TalariaRuntime.Decoys(
                    decoys, DecoySource.corpus(tok.encode(Files.readString(decoyText))), tok.specialIds());
        }
        try (TalariaRuntime runtime = client.connect(cloud, decoyPlan)) {
            Set<Integer> stops = new HashSet<>(tok.eosIds());
            stops.addAll(runtime.config().eosTokenIds());
            StreamingDecoder decoder = tok.streamingDecoder(true);
            WireStats.Snapshot before = runtime.stats().snapshot();
            Generation g = runtime.generate(
                    ids,
                    new GenerationOptions(
                            prompt.maxTokens, new SamplingParams(prompt.temperature, 0, 1, prompt.seed), stops),
                    id -> {
                        out.print(decoder.next(id));
                        out.flush();
                    },
                    id -> false);
            out.println(decoder.flush());
            out.flush();
            WireStats.Snapshot s = runtime.stats().snapshot().minus(before);
            var t = g.timings();
            err.printf(
                    "talaria: %d prompt + %d generated tokens; TTFT %.1f ms, TPOT %.2f ms; %d round trips, %d B sent, %d B received"
                            + " (%d B of setup); mask %s, embed %s, %d check vector(s); embedding %s, LM head %s%n",
                    t.promptTokens(),
                    t.generatedTokens(),
                    t.prefillNanos() / 1e6,
                    t.generatedTokens() > 1 ? t.decodeNanos() / 1e6 / (t.generatedTokens() - 1) : 0.0,
                    s.roundTrips(),
                    s.bytesSent(),
                    s.bytesReceived(),
                    s.setupBytes(),
                    runtime.backend().options().hidden(),
                    runtime.backend().options().embed(),
                    runtime.backend().options().checkVectors(),
                    runtime.backend().options().localEmbed() ? "in the client" : "by the cloud",
                    runtime.backend().options().localHead() ? "in the client" : "by the cloud");
            err.flush();
        }
        return 0;
    }
}
