package dev.veil.attack.talaria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.veil.attack.Fixtures;
import dev.veil.attack.Progress;
import dev.veil.attack.capture.TalariaRun;
import dev.veil.attack.capture.Truth;
import dev.veil.attack.metrics.Guesses;
import dev.veil.attack.metrics.Recovery;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.protocol.MaskSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Talaria attack against captures of real runs (cloud, setup authority and client on loopback, a recorder at the
 * cloud's door) of the engine's Qwen2 fixture (vocabulary 320, width 48): each recovers at least 97% of tokens in the
 * setting it is built for — which shows it works — and the default deployment's numbers are printed beside them.
 */
class TalariaAttacksTest {

    static final Fixtures.Model M = Fixtures.qwen2();
    static final Map<String, TalariaTarget> targets = new LinkedHashMap<>();
    static final Map<String, Truth> truths = new LinkedHashMap<>();
    static int[] publicText;

    @BeforeAll
    static void capture() throws IOException {
        List<int[]> prompts = Fixtures.prompts(M.config(), 6, 12, 3);
        run("plaintext", new TalariaRun.Veil(TalariaOptions.plaintext()), prompts);
        run("default", new TalariaRun.Veil(TalariaOptions.DEFAULT), prompts);
        run(
                "remo 0.5, one M_pub per session",
                new TalariaRun.Veil(TalariaOptions.DEFAULT
                        .withHidden(MaskSpec.remo(0.5))
                        .withRefresh(TalariaOptions.Refresh.SESSION)),
                prompts);
        run("reused mask (strawman)", new TalariaRun.ReusedMask(8.0), prompts);
        Random r = new Random(5);
        publicText = r.ints(4000, 0, M.config().vocabSize()).toArray();
    }

    static void run(String name, TalariaRun.Client client, List<int[]> prompts) throws IOException {
        TalariaRun.Result res = TalariaRun.run(
                M.config(), M.weights(), Path.of("fixture"), client, prompts, 6, TalariaRun.all(), () -> {});
        assertThat(res.matchingPlain()).as("%s: Talaria is lossless", name).isEqualTo(prompts.size());
        targets.put(name, new TalariaTarget(res.capture(), M.config(), M.weights()));
        truths.put(name, res.truth());
    }

    static Recovery score(TalariaAttack a, String setting) {
        List<Guesses> g = a.attack(targets.get(setting), Progress.NONE);
        List<int[]> truth =
                truths.get(setting).requests().stream().map(a.stream()::truth).toList();
        return Recovery.score(g, truth, 10, M.config().vocabSize());
    }

    /** Recovery in the attack's own setting (asserted >= 97%) and against the default deployment (printed). */
    static void check(TalariaAttack a, String unprotected) {
        Recovery works = score(a, unprotected), deployed = score(a, "default");
        Fixtures.checkWorks(a.name(), unprotected, works, "default", deployed);
        assertThat(deployed.positions()).isEqualTo(works.positions());
    }

    /** Each attack and the setting it is built to break. */
    static Stream<Arguments> attacks() {
        String plain = "plaintext";
        int v = M.config().vocabSize();
        return Stream.of(
                on(new NearestEmbeddingAttack(10), plain),
                on(new OneHotArgmaxAttack(10), plain),
                on(new LmHeadArgmaxAttack(10), plain),
                on(new SubspaceEstimationAttack(10), "remo 0.5, one M_pub per session"),
                on(new LearnedProbeAttack(publicText, 10, 1), plain),
                on(new MlpProbeAttack(publicText, 128, 150, 10, 1), plain),
                // a random model's prior ranks the true token anywhere, so the budget is the whole vocabulary here
                on(
                        new VocabularyMatchingAttack(
                                VocabularyMatchingAttack.defaultTarget(
                                        M.config().numLayers()),
                                v,
                                1e-3,
                                null,
                                10),
                        plain),
                on(new JointLikelihoodAttack(joint(2, 16), 10), plain));
    }

    private static Arguments on(TalariaAttack a, String setting) {
        return arguments(named(a.name(), a), setting);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("attacks")
    void worksWhereItMust(TalariaAttack a, String unprotected) {
        check(a, unprotected);
    }

    /**
     * The attacks that need a secret of the setting (the seeds of M_pub) or its flaw (a reused mask): on the same
     * rows, plain nearest-embedding matching does not see through.
     */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource
    void worksWherePlainMatchingDoesNot(TalariaAttack a, String setting) {
        check(a, setting);
        assertThat(score(new NearestEmbeddingAttack(10), setting).top1()).isLessThan(0.2);
    }

    static Stream<Arguments> worksWherePlainMatchingDoesNot() {
        return Stream.of(
                on(new ComplementProjectionAttack(10), "remo 0.5, one M_pub per session"),
                on(new DifferencingAttack(10), "reused mask (strawman)"));
    }

    static JointLikelihoodAttack.Options joint(int beams, int candidates) {
        return new JointLikelihoodAttack.Options(
                beams,
                candidates,
                true,
                true,
                true,
                JointLikelihoodAttack.unigramPrior(publicText, M.config().vocabSize()),
                null);
    }

    @Test
    void jointLikelihoodFromEvidenceAloneGivenTheTruePrefix() {
        String setting = "plaintext";
        List<int[]> truth = truths.get(setting).requests().stream()
                .map(Truth.RequestTruth::processed)
                .toList();
        var evidenceOnly = new JointLikelihoodAttack.Options(1, 16, true, false, false, null, truth);
        check(new JointLikelihoodAttack(evidenceOnly, 10), setting);
    }

    @Test
    void theReadsNothingTwinReadsNothing() {
        // the same decoder without the rows: its guesses cannot depend on what the rows hold, only on the request's
        // shape
        JointLikelihoodAttack twin = new JointLikelihoodAttack(joint(2, 16).readingNothing(), 10);
        List<Guesses> plain = twin.attack(targets.get("plaintext"), Progress.NONE),
                masked = twin.attack(targets.get("default"), Progress.NONE);
        for (int i = 0; i < plain.size(); i++)
            assertThat(masked.get(i).ranked()).isDeepEqualTo(plain.get(i).ranked());
        Recovery reading = score(new JointLikelihoodAttack(joint(2, 16), 10), "plaintext"),
                nothing = score(twin, "plaintext");
        System.out.printf("[attack] joint: plaintext %.3f, reads-nothing twin %.3f%n", reading.top1(), nothing.top1());
        assertThat(nothing.top1()).isLessThan(0.5);
    }
}
