package dev.veil.attack.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.veil.aloepri.AloePriParams;
import dev.veil.attack.Fixtures;
import dev.veil.attack.Progress;
import dev.veil.attack.capture.AloePriRun;
import dev.veil.attack.capture.Obfuscation;
import dev.veil.attack.capture.Truth;
import dev.veil.attack.metrics.Recovery;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every AloePri attack against an instrumented server running the engine's Qwen2 fixture (vocabulary 320, width 48,
 * obfuscated width 60) obfuscated by Veil's compiler: each recovers at least 97% of tokens in the setting it is built
 * for — which shows it works — and the numbers against the paper's default parameters are printed beside them.
 */
class AloePriAttacksTest {

    static final Fixtures.Model M = Fixtures.qwen2();
    static final AloePriParams DEFAULTS = AloePriParams.paper(M.config().hiddenSize());
    static final String VICTIM_SEED = "victim";
    static final Map<String, AloePriTarget> targets = new LinkedHashMap<>();
    static final Map<String, Truth> truths = new LinkedHashMap<>();
    static int[] publicText;

    @BeforeAll
    static void capture() {
        List<int[]> prompts = Fixtures.prompts(M.config(), 4, 12, 9);
        Set<Integer> fixed =
                Set.of(M.config().bosTokenId(), M.config().eosTokenIds().getFirst());
        run("plain deployment", Obfuscation.none(M.config(), M.weights()), prompts);
        run(
                "no noise (alpha_e = alpha_h = 0)",
                Obfuscation.of(M.config(), M.weights(), DEFAULTS.withNoise(0, 0), fixed, VICTIM_SEED, 64, null),
                prompts);
        run("defaults", Obfuscation.of(M.config(), M.weights(), DEFAULTS, fixed, VICTIM_SEED, 64, null), prompts);
        publicText = new Random(4).ints(3000, 0, M.config().vocabSize()).toArray();
    }

    static void run(String name, Obfuscation served, List<int[]> prompts) {
        AloePriRun.Result r = AloePriRun.run(
                served,
                Path.of("obf"),
                Path.of("plain"),
                prompts,
                6,
                k -> k.equals("in/layer.1.qkv") || k.equals("out/layer.0.qkv"),
                () -> {});
        targets.put(name, new AloePriTarget(r.capture(), served.config(), served.weights(), M.config(), M.weights()));
        truths.put(name, r.truth());
    }

    static Recovery score(AloePriAttack a, String setting) {
        AloePriAttack.Outcome o = a.attack(targets.get(setting), Progress.NONE);
        List<int[]> truth = new ArrayList<>();
        for (int i = 0; i < o.guesses().size(); i++)
            truth.add(a.stream().truth(truths.get(setting).requests().get(i)));
        return Recovery.score(o.guesses(), truth, 10, M.config().vocabSize());
    }

    /** Each attack and the setting it is built to break. */
    static Stream<Arguments> attacks() {
        String noNoise = "no noise (alpha_e = alpha_h = 0)", plain = "plain deployment";
        int v = M.config().vocabSize();
        return Stream.of(
                on(new WeightProductMatchingAttack(10), noNoise),
                on(new GateInvariantAttack(10), noNoise),
                on(new AttentionInvariantAttack(10), noNoise),
                on(new EmbeddingMatchingAttack(10), plain),
                on(new InternalStateAttack(InternalStateAttack.Kind.HIDDEN, 300, 0.3, 2, v, 10), plain),
                on(new InternalStateAttack(InternalStateAttack.Kind.ATTENTION, 100, 0.3, 2, v, 10), plain));
    }

    private static Arguments on(AloePriAttack a, String setting) {
        return arguments(named(a.name(), a), setting);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("attacks")
    void worksWhereItMust(AloePriAttack a, String unprotected) {
        Fixtures.checkWorks(a.name(), unprotected, score(a, unprotected), "defaults", score(a, "defaults"));
    }

    @Test
    void inversionModelWithTheVictimsKey() {
        // with its own keys the inverter does not transfer; with the victim's it is exact
        Recovery ownKeys =
                score(new InversionModelAttack(publicText, List.of("attacker-1", "attacker-2"), 10), "defaults");
        Recovery victimKey = score(
                new InversionModelAttack(publicText, List.of(VICTIM_SEED), 10), "no noise (alpha_e = alpha_h = 0)");
        System.out.printf(
                "[attack] IMA: victim's key, no noise: top-1 %.3f | own keys, defaults: top-1 %.3f top-10 %.3f%n",
                victimKey.top1(), ownKeys.top1(), ownKeys.topK());
        assertThat(victimKey.top1()).isGreaterThanOrEqualTo(0.97);
    }

    @Test
    void frequencyMatchingWithAnOraclePrior() {
        // a stream in which every token has its own count: ranks identify tokens, and TFMA reads the whole stream
        int[] counts = new int[24];
        List<Integer> bag = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) for (int c = 0; c <= i; c++) bag.add(10 + 3 * i);
        Collections.shuffle(bag, new Random(2));
        List<int[]> prompts = new ArrayList<>();
        for (int from = 0; from < bag.size(); from += 30)
            prompts.add(bag.subList(from, Math.min(bag.size(), from + 30)).stream()
                    .mapToInt(Integer::intValue)
                    .toArray());
        Obfuscation served = Obfuscation.of(M.config(), M.weights(), DEFAULTS, Set.of(1, 5), VICTIM_SEED, 0, null);
        AloePriRun.Result r =
                AloePriRun.run(served, Path.of("obf"), Path.of("plain"), prompts, 0, k -> false, () -> {});
        AloePriTarget t = new AloePriTarget(r.capture(), served.config(), served.weights(), M.config(), M.weights());
        int[] all = bag.stream().mapToInt(Integer::intValue).toArray();
        AloePriAttack tfma = new FrequencyMatchingAttack(
                FrequencyMatchingAttack.counts(all, M.config().vocabSize()), 10);
        AloePriAttack.Outcome o = tfma.attack(t, Progress.NONE);
        Recovery oracle = Recovery.score(
                o.guesses(),
                r.truth().requests().stream().map(Truth.RequestTruth::all).toList(),
                10,
                M.config().vocabSize());
        Recovery uniformPrior = score(
                new FrequencyMatchingAttack(
                        FrequencyMatchingAttack.counts(publicText, M.config().vocabSize()), 10),
                "defaults");
        System.out.printf(
                "[attack] TFMA: oracle prior, distinct counts: top-1 %.3f | defaults, random prompts, unrelated prior: top-1 %.3f top-10 %.3f%n",
                oracle.top1(), uniformPrior.top1(), uniformPrior.topK());
        assertThat(oracle.top1()).isGreaterThanOrEqualTo(0.97);
    }
}
