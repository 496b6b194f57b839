package dev.veil.attack.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.attack.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both audits end to end on the engine's Qwen2 fixture with a few settings: every attack's unprotected reference
 * recovers at least 97% (TFMA's oracle is reported, not held to it: random prompts give tokens equal counts), every
 * attack has a score on the defaults, and the report comes out as parseable JSON and an HTML page with plots.
 */
class AuditTest {

    static final Fixtures.Model M = Fixtures.qwen2();

    @Test
    void talaria(@TempDir Path dir) throws Exception {
        var settings = TalariaAudit.standardSettings(M.config()).stream()
                .filter(s -> List.of(
                                TalariaAudit.PLAINTEXT,
                                TalariaAudit.DEFAULT,
                                TalariaAudit.REMO_SESSION,
                                "ReMO m/d 0.25, one M_pub per session",
                                TalariaAudit.REUSED)
                        .contains(s.name()))
                .toList();
        var o = new TalariaAudit.Options(
                Fixtures.prompts(M.config(), 6, 12, 1),
                6,
                new Random(3).ints(3000, 0, M.config().vocabSize()).toArray(),
                M.config().vocabSize(),
                2,
                List.of(TalariaAudit.PLAINTEXT, TalariaAudit.DEFAULT),
                null,
                4,
                32,
                false,
                a -> true);
        AuditResult r = TalariaAudit.run(M.config(), M.weights(), Path.of("fixture"), settings, o, Bars.NONE);
        checkReferences(r, List.of());
        // and the three that read nothing: the public unigram and the joint decoder's twins (beam and greedy search)
        assertThat(r.setting(TalariaAudit.DEFAULT).orElseThrow().attacks())
                .hasSize(r.unprotected().size() + 3)
                .filteredOn(a -> AuditResult.readsNothing(a.attack()))
                .hasSize(3);
        assertThat(r.setting(TalariaAudit.DEFAULT).orElseThrow().accuracy()).containsEntry(TalariaAudit.LOSSLESS, 1.0);
        checkReport(r, dir, "m/d");
    }

    @Test
    void aloepri(@TempDir Path dir) throws Exception {
        var settings = AloePriAudit.standardSettings(M.config().hiddenSize()).stream()
                .filter(s -> List.of(AloePriAudit.PLAIN, AloePriAudit.DEFAULTS, AloePriAudit.NO_NOISE, "alpha_e 0.5")
                        .contains(s.name()))
                .toList();
        Random rnd = new Random(4);
        var o = new AloePriAudit.Options(
                Fixtures.prompts(M.config(), 4, 12, 2),
                6,
                rnd.ints(3000, 0, M.config().vocabSize()).toArray(),
                rnd.ints(64, 0, M.config().vocabSize()).toArray(),
                List.of("a1"),
                1,
                12,
                300,
                M.config().vocabSize(),
                List.of(AloePriAudit.PLAIN, AloePriAudit.DEFAULTS),
                null);
        AuditResult r = AloePriAudit.run(M.config(), M.weights(), Path.of("fixture"), settings, o, Bars.NONE);
        checkReferences(r, List.of(AloePriAudit.TFMA_PUBLIC));
        SettingResult plain = r.setting(AloePriAudit.PLAIN).orElseThrow(),
                defaults = r.setting(AloePriAudit.DEFAULTS).orElseThrow();
        assertThat(plain.accuracy()).containsEntry(Accuracy.AGREEMENT, 1.0);
        assertThat(plain.accuracy().get(Accuracy.PERPLEXITY)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(defaults.accuracy().get(Accuracy.AGREEMENT)).isBetween(0.0, 1.0);
        assertThat(defaults.attacks())
                .extracting(AttackResult::attack)
                .containsAll(r.targets().keySet());
        checkReport(r, dir, "alpha_e");
    }

    /** Every reference (but the listed exceptions) recovers ≥ 97% where it must work. */
    static void checkReferences(AuditResult r, List<String> exceptions) {
        for (Map.Entry<String, AuditResult.Reference> e : r.unprotected().entrySet()) {
            AttackResult ref = r.setting(e.getValue().setting())
                    .orElseThrow()
                    .attack(e.getValue().attack())
                    .orElseThrow();
            AttackResult deployed =
                    r.setting(r.defaults()).orElseThrow().attack(e.getKey()).orElseThrow();
            System.out.printf(
                    "[audit] %-60s reference %.3f (%s) | defaults %.3f%n",
                    e.getKey(), ref.top1(), e.getValue().setting(), deployed.top1());
            if (!exceptions.contains(e.getKey()))
                assertThat(ref.top1()).as(e.getKey()).isGreaterThanOrEqualTo(0.97);
        }
    }

    static void checkReport(AuditResult r, Path dir, String axis) throws Exception {
        List<Path> files = AuditReport.write(r, dir.resolve("audit"));
        JsonNode json = new ObjectMapper().readTree(files.get(0).toFile());
        assertThat(json.path("settings").size()).isEqualTo(r.settings().size());
        assertThat(json.path("unprotected_reference").size())
                .isEqualTo(r.unprotected().size());
        String html = Files.readString(files.get(1));
        assertThat(html).contains("<svg").contains("vs " + axis).contains("Against the default setting");
        // the page renders again from the JSON alone (how the committed reports are redrawn), to the same bytes
        assertThat(AuditReport.html(AuditReport.read(files.get(0)))).isEqualTo(html);
        // the number on top is the strongest attack that reads the traffic, beside the best that reads nothing
        SettingResult defaults = r.setting(r.defaults()).orElseThrow();
        AuditResult.Headline top = AuditResult.headline(defaults).orElseThrow();
        double strongest = defaults.attacks().stream()
                .filter(a -> !AuditResult.readsNothing(a.attack()) && !AuditResult.usesSecrets(a.attack()))
                .mapToDouble(AttackResult::top1)
                .max()
                .orElseThrow();
        double floor = defaults.attacks().stream()
                .filter(a -> AuditResult.readsNothing(a.attack()))
                .mapToDouble(AttackResult::top1)
                .max()
                .orElseThrow();
        assertThat(top.top1()).isEqualTo(strongest);
        assertThat(top.baselineTop1()).isEqualTo(floor);
        assertThat(json.path("headline").asText())
                .isEqualTo(AuditReport.headlineText(top))
                .startsWith("server recovers");
        assertThat(html.indexOf(AuditReport.headlineText(top).substring(0, 20)))
                .isLessThan(html.indexOf("Against the default setting"));
    }
}
