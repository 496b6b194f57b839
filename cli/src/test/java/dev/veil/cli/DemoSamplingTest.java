package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.GenerationConfig;
import dev.veil.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The penalties on the bundled model, whose greedy answers loop: each moves greedy output the way it should, and at the
 * demo's settings (the model's generation_config.json) the demo prompts' answers read as prose — no 4-gram (of tokens
 * or of words) more than twice — where greedy alone repeats one 22–30 times in 128 tokens (4–8 times in 40).
 */
class DemoSamplingTest {

    /** The demo's prompt and the model card's sample prompts. */
    static final List<String> PROMPTS = List.of(
            DemoCommand.PROMPT,
            "Fellow-Citizens of the Senate and House of Representatives:",
            "Our country must",
            "A computer is");

    static LocalModel model;
    static Tokenizer tok;
    static Set<Integer> stops;

    @BeforeAll
    static void open() throws Exception {
        model = LocalModel.open(
                Path.of(System.getProperty("veil.repo")).resolve(DemoCommand.BUNDLED), null, new Parallel(2));
        tok = model.tokenizer();
        stops = new HashSet<>(tok.eosIds());
        stops.addAll(model.files().generation().eosTokenIds());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] generate(int[] prompt, int tokens, SamplingParams sampling) {
        return new Generator(model.transformer())
                .generate(prompt, new GenerationOptions(tokens, sampling, stops))
                .outputIds();
    }

    @Test
    void theDemoSettingsComeFromTheModelsGenerationConfig() {
        SamplingParams demo = DemoCommand.sampling(model.files().generation());
        assertThat(demo.greedy()).isTrue();
        assertThat(demo.repetitionPenalty()).isEqualTo(1.3);
        assertThat(demo.frequencyPenalty()).isEqualTo(0.3);
        assertThat(DemoCommand.sampling(GenerationConfig.of(1, List.of(2)))).isEqualTo(SamplingParams.GREEDY);
    }

    @Test
    void withoutThePenaltyTheDemoAnswersLoop() {
        // the same check as below on greedy alone: it fails, so the rule below can fail
        for (String prompt : PROMPTS) {
            int[] plainGreedy = generate(PromptOptions.ids(tok, prompt, null, false, false), 64, SamplingParams.GREEDY);
            assertThat(mostRepeatedFourGram(boxed(plainGreedy)))
                    .as("greedy alone loops on %s", prompt)
                    .isGreaterThan(2);
        }
    }

    @Test
    void theDemoAnswersHaveNoFourGramMoreThanTwice() {
        SamplingParams demo = DemoCommand.sampling(model.files().generation());
        for (String prompt : PROMPTS) {
            for (boolean chat : new boolean[] {false, true}) {
                int[] out = generate(PromptOptions.ids(tok, prompt, null, chat, false), 128, demo);
                String text = tok.decode(out, true);
                assertThat(out.length)
                        .as("%s (chat %s): %s", prompt, chat, text)
                        .isGreaterThanOrEqualTo(chat ? 1 : 128);
                assertThat(mostRepeatedFourGram(boxed(out)))
                        .as("token 4-grams in %s", text)
                        .isLessThanOrEqualTo(2);
                assertThat(mostRepeatedFourGram(List.of(text.split("\\s+"))))
                        .as("word 4-grams in %s", text)
                        .isLessThanOrEqualTo(2);
            }
        }
    }

    @Test
    void eachPenaltyMovesGreedyOutputTheExpectedWay() {
        int[] prompt = PromptOptions.ids(tok, DemoCommand.PROMPT, null, false, false);
        int[] greedy = generate(prompt, 48, SamplingParams.GREEDY);
        // repetition: fewer tokens that the prompt or the answer already held
        int[] repetition = generate(prompt, 48, SamplingParams.GREEDY.withPenalties(1.3, 0, 0));
        assertThat(alreadySeen(prompt, repetition)).isLessThan(alreadySeen(prompt, greedy));
        // frequency: the most frequent token occurs less often
        int[] frequency = generate(prompt, 48, SamplingParams.GREEDY.withPenalties(1, 0, 0.5));
        assertThat(mostFrequentCount(frequency)).isLessThan(mostFrequentCount(greedy));
        // presence: more distinct tokens; a negative one, fewer
        int[] presence = generate(prompt, 48, SamplingParams.GREEDY.withPenalties(1, 1, 0));
        assertThat(distinct(presence)).isGreaterThan(distinct(greedy));
        int[] encouraged = generate(prompt, 48, SamplingParams.GREEDY.withPenalties(1, -0.5, 0));
        assertThat(distinct(encouraged)).isLessThan(distinct(greedy));
    }

    static List<String> boxed(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).toList();
    }

    /** How often the most frequent run of four consecutive items occurs. */
    static int mostRepeatedFourGram(List<String> items) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int i = 0; i + 4 <= items.size(); i++) counts.merge(items.subList(i, i + 4), 1, Integer::sum);
        return counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    static int alreadySeen(int[] prompt, int[] out) {
        Set<Integer> seen = new HashSet<>();
        for (int id : prompt) seen.add(id);
        int repeats = 0;
        for (int id : out) if (!seen.add(id)) repeats++;
        return repeats;
    }

    static int mostFrequentCount(int[] out) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int id : out) counts.merge(id, 1, Integer::sum);
        return counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    static int distinct(int[] out) {
        return (int) Arrays.stream(out).distinct().count();
    }
}
