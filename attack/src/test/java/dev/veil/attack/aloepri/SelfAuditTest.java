package dev.veil.attack.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.FfnActivations;
import dev.veil.aloepri.FfnNoiseProfile;
import dev.veil.attack.Fixtures;
import dev.veil.attack.Progress;
import dev.veil.attack.capture.Obfuscation;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The self-audit on the engine's Qwen2 fixture (vocabulary 320): without noise the weight-only attacks read the whole
 * text back; the exact unit split hides head·W_down from an attacker who does not know it, and not from one who does.
 */
class SelfAuditTest {

    static final Fixtures.Model M = Fixtures.qwen2();
    static final Set<Integer> FIXED =
            Set.of(M.config().bosTokenId(), M.config().eosTokenIds().getFirst());
    static final int[] HELDOUT =
            new Random(7).ints(400, 0, M.config().vocabSize()).toArray();
    static final int[] PUBLIC = new Random(8).ints(2000, 0, 40).toArray(); // a skewed public text: ids below 40 only

    static SelfAudit.Report audit(AloePriParams p) {
        Obfuscation o = Obfuscation.of(M.config(), M.weights(), p, FIXED, "self-audit", 64, null);
        return SelfAudit.run(
                M.config(), M.weights(), o.config(), o.weights(), o.tau().forward(), HELDOUT, PUBLIC, Progress.NONE);
    }

    @Test
    void withoutNoiseTheStrongestAttackReadsTheTextAndTheHeadlineSaysSo() {
        SelfAudit.Report r = audit(AloePriParams.paper(M.config().hiddenSize()).withNoise(0, 0));
        assertThat(r.strongest().text()).isGreaterThanOrEqualTo(0.97);
        assertThat(r.rows())
                .extracting(SelfAudit.Row::attack)
                .contains(
                        new WeightProductMatchingAttack(1).name(),
                        SelfAudit.ENSEMBLE,
                        new WeightProductMatchingAttack(1, "down·head").name(),
                        new GateInvariantAttack(1).name())
                .doesNotContain(SelfAudit.NOT_MERGED);
        assertThat(r.strongest().text())
                .isEqualTo(
                        r.rows().stream().mapToDouble(SelfAudit.Row::text).max().orElseThrow());
        int top = FrequencyMatchingAttack.byCountOrder(PUBLIC, M.config().vocabSize())[0];
        long same = Arrays.stream(HELDOUT).filter(t -> t == top).count();
        assertThat(r.readsNothing()).isEqualTo((double) same / HELDOUT.length);
        assertThat(r.headline())
                .startsWith(String.format(
                        Locale.ROOT,
                        "server recovers %.1f%%",
                        100 * r.strongest().text()));
    }

    @Test
    void theSplitHidesDownHeadOnlyFromAnAttackerWhoDoesNotMergeTheUnits() {
        SelfAudit.Report r = audit(
                AloePriParams.paper(M.config().hiddenSize()).withNoise(0, 0).withFfn(0, 0, 2));
        Map<String, Double> by =
                r.rows().stream().collect(Collectors.toMap(SelfAudit.Row::attack, SelfAudit.Row::text));
        double merged = by.get(new WeightProductMatchingAttack(1, "down·head").name()),
                naive = by.get(SelfAudit.NOT_MERGED);
        System.out.printf(
                "[self-audit] split 2, no noise: down·head merged %.3f, not merged %.3f, strongest %.3f%n",
                merged, naive, r.strongest().text());
        assertThat(merged).isGreaterThanOrEqualTo(0.9);
        assertThat(naive).isLessThan(merged / 2);
        assertThat(r.strongest().text()).isGreaterThanOrEqualTo(0.97);
    }

    /**
     * The activation-aware W_down noise (α_e = α_h = 0, so only down·head is at stake) against the attacker who knows it:
     * without noise, down·head projected on the activations' principal directions reads the text back (the projection
     * commutes with the FFN permutation and scaling); with the noise, both the plain sorted-row VMA and that attacker
     * lose it on this random-weight model.
     */
    @Test
    void activationNoiseAgainstAnAttackerWhoMeasuresTheActivations() {
        int v = M.config().vocabSize();
        int[] text = new Random(9).ints(1024, 0, v).toArray(); // the public text: defender's calibration, attacker's
        FfnActivations acts = FfnActivations.measure(M.config(), M.weights(), text, 64);
        AloePriParams quiet = AloePriParams.paper(M.config().hiddenSize()).withNoise(0, 0);
        String projected = ActivationWeightedAttack.name(ActivationWeightedAttack.FLOORS[0]),
                sorted = new WeightProductMatchingAttack(1, "down·head").name();
        Map<String, Double> exact = audit(quiet, acts, text),
                noisy = audit(quiet.withFfn(8, 0, 1).withFfnNoise(FfnNoiseProfile.ACTIVATION), acts, text);
        System.out.printf(
                "[self-audit] down·head sorted / projected: no noise %.3f / %.3f, activation noise 8: %.3f / %.3f%n",
                exact.get(sorted), exact.get(projected), noisy.get(sorted), noisy.get(projected));
        assertThat(exact.get(projected)).isGreaterThanOrEqualTo(0.9);
        assertThat(noisy.get(sorted)).isLessThan(0.1);
        assertThat(noisy.get(projected)).isLessThan(0.1);
    }

    private static Map<String, Double> audit(AloePriParams p, FfnActivations acts, int[] text) {
        Obfuscation o = Obfuscation.of(M.config(), M.weights(), p, FIXED, "self-audit", 64, acts);
        return SelfAudit.run(
                        M.config(),
                        M.weights(),
                        o.config(),
                        o.weights(),
                        o.tau().forward(),
                        HELDOUT,
                        text,
                        Progress.NONE)
                .rows()
                .stream()
                .collect(Collectors.toMap(SelfAudit.Row::attack, SelfAudit.Row::text));
    }

    @Test
    void unitMergeFindsThePlainUnits() {
        Obfuscation o = Obfuscation.of(
                M.config(),
                M.weights(),
                AloePriParams.paper(M.config().hiddenSize()).withFfn(0, 0, 3),
                FIXED,
                "merge",
                0,
                null);
        UnitMerge.Merged m = UnitMerge.merge(o.config(), o.weights(), M.config().intermediateSize());
        assertThat(o.config().intermediateSize()).isEqualTo(3 * M.config().intermediateSize());
        assertThat(m.groups()).isEqualTo(M.config().intermediateSize());
        assertThat(m.config().intermediateSize()).isEqualTo(M.config().intermediateSize());
    }

    @Test
    void aKeyOfAnotherVocabularyIsRefused() {
        assertThatThrownBy(() -> SelfAudit.run(
                        M.config(), M.weights(), M.config(), M.weights(), new int[3], HELDOUT, PUBLIC, Progress.NONE))
                .hasMessageContaining("the key's permutation has 3 ids");
    }
}
