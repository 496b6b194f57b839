package dev.veil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.tokenizer.StopStrings;
import dev.veil.tokenizer.StreamingDecoder;
import dev.veil.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil generate}: plain local generation, streamed to stdout (or one JSON object with --json). */
@Command(name = "generate", description = "Generate text locally from a model (HF dir or GGUF).")
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    LocalModelOptions local;

    @Mixin
    PromptOptions prompt;

    @Option(names = "--system", description = "system message (with --chat)")
    String system;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus sampling mass (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(
            names = "--top-k",
            defaultValue = "0",
            description = "keep the k most likely tokens; 0 = all (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(
            names = "--min-p",
            defaultValue = "0",
            description =
                    "drop tokens less likely than this fraction of the most likely one; 0 = off (default: ${DEFAULT-VALUE})")
    double minP;

    @Option(
            names = "--repetition-penalty",
            defaultValue = "1",
            description =
                    "divide positive (multiply negative) logits of tokens in the prompt or output; 1 = off (default: ${DEFAULT-VALUE})")
    double repetitionPenalty;

    @Option(
            names = "--presence-penalty",
            defaultValue = "0",
            description = "subtract from logits of tokens the output holds, in [-2, 2] (default: ${DEFAULT-VALUE})")
    double presencePenalty;

    @Option(
            names = "--frequency-penalty",
            defaultValue = "0",
            description = "subtract per occurrence in the output, in [-2, 2] (default: ${DEFAULT-VALUE})")
    double frequencyPenalty;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stops = List.of();

    @Option(
            names = "--json",
            description = "print one JSON object: prompt_ids, output_ids, text, finish_reason, timings")
    boolean json;

    @Override
    public Integer call() throws Exception {
        long started = ManagementFactory.getRuntimeMXBean().getUptime();
        try (LocalModel m = local.open()) {
            long opened = ManagementFactory.getRuntimeMXBean().getUptime();
            Tokenizer tok = m.tokenizer();
            int[] promptIds = prompt.ids(tok, system, true);
            Set<Integer> eos = new HashSet<>(m.files().generation().eosTokenIds());
            eos.addAll(tok.eosIds());
            var sampling = new SamplingParams(
                    prompt.temperature,
                    topK,
                    topP,
                    prompt.seed,
                    minP,
                    repetitionPenalty,
                    presencePenalty,
                    frequencyPenalty);
            var options = new GenerationOptions(prompt.maxTokens, sampling, eos);

            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            StreamingDecoder decoder = tok.streamingDecoder(true);
            StopStrings stopStrings = new StopStrings(stops);
            StringBuilder text = new StringBuilder();
            Generation g = new Generator(m.transformer())
                    .generate(
                            promptIds,
                            options,
                            id -> {
                                if (eos.contains(id) || stopStrings.stopped()) return;
                                String visible =
                                        stopStrings.accept(decoder.next(id)).text();
                                text.append(visible);
                                if (!json) out.print(visible);
                            },
                            id -> stopStrings.stopped());
            if (!stopStrings.stopped()) {
                String rest = stopStrings.accept(decoder.flush()).text() + stopStrings.flush();
                text.append(rest);
                if (!json) out.print(rest);
            }
            if (json) out.println(toJson(g, text.toString()));
            else {
                out.println();
                var t = g.timings();
                System.err.printf(
                        "[%d prompt tokens at %.1f tok/s, %d generated at %.1f tok/s, %s]%n",
                        t.promptTokens(),
                        t.prefillTokensPerSecond(),
                        t.generatedTokens(),
                        t.decodeTokensPerSecond(),
                        g.finishReason().name().toLowerCase());
                // where a cold start's time goes (docs/warm-start.md)
                if (System.getenv("VEIL_DEBUG") != null)
                    System.err.printf(
                            "[JVM start to command %d ms, model open (and warm-up) %d ms, prefill %.0f ms]%n",
                            started, opened - started, t.prefillNanos() / 1e6);
            }
        }
        return 0;
    }

    private static String toJson(Generation g, String text) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        var p = n.putArray("prompt_ids");
        for (int id : g.promptIds()) p.add(id);
        var o = n.putArray("output_ids");
        for (int id : g.outputIds()) o.add(id);
        n.put("text", text);
        n.put("finish_reason", g.finishReason().name().toLowerCase());
        var t = g.timings();
        ObjectNode tn = n.putObject("timings");
        tn.put("prompt_tokens", t.promptTokens());
        tn.put("prefill_ms", t.prefillNanos() / 1e6);
        tn.put("generated_tokens", t.generatedTokens());
        tn.put("decode_ms", t.decodeNanos() / 1e6);
        tn.put("prefill_tokens_per_s", t.prefillTokensPerSecond());
        tn.put("decode_tokens_per_s", t.decodeTokensPerSecond());
        return n.toString();
    }
}
