package dev.veil.attack.aloepri;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.AloePriParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrontierTest {

    @TempDir
    Path tmp;

    static Frontier.Point point(String name, String series, double leak, double ppl, double agreement) {
        AloePriParams p = AloePriParams.paper(256);
        return new Frontier.Point(
                name,
                series,
                p,
                320,
                640,
                100 * (1 + ppl),
                ppl,
                agreement,
                "VMA, down·head only",
                leak,
                leak / 2,
                List.of(
                        new SelfAudit.Row("VMA, down·head only", leak, leak / 2),
                        new SelfAudit.Row(SelfAudit.ENSEMBLE, leak / 3, 0.1)),
                1.5);
    }

    static Frontier.Result result() {
        return new Frontier.Result(
                "2026-12-06T00:00",
                "tiny",
                4096,
                2040,
                256,
                "s",
                135.7,
                0.05,
                List.of(
                        point("no noise", "paper", 1.0, 0.003, 0.975),
                        point("cheap but leaky", "paper", 0.6, 0.02, 0.93),
                        point(
                                "private but costly",
                                "a series with a long name that needs its own legend row",
                                0.04,
                                0.5,
                                0.5)));
    }

    @Test
    void theKneeIsTheLeastLeakWithinTheAccuracyTargetAndTheReportSaysTheTargetIsMissed() throws Exception {
        Frontier.Result r = result();
        assertThat(Frontier.best(r).name()).isEqualTo("cheap but leaky");
        List<Path> written = Frontier.write(r, tmp);
        String md = Files.readString(tmp.resolve("aloepri-frontier.md"));
        assertThat(md)
                .contains(
                        "| cheap but leaky | 1 | 0.2 | 0 | 0 | 1 | 32 | VMA, down·head only | 60.0% / 30.0% | +2.0% | 93.0% |")
                .contains("Least leak within the accuracy target: **cheap but leaky**, strongest attack 60.0%")
                .contains("the recovery target is missed")
                .contains(
                        "Least leak measured: **private but costly**, strongest attack 4.0% at +50.0% perplexity, 50.0% agreement.");
        String svg = Files.readString(tmp.resolve("aloepri-frontier.svg"));
        assertThat(svg)
                .startsWith("<svg")
                .contains("a series with a long name that needs its own legend row")
                .contains("target 5%");
        assertThat(Frontier.read(written.getFirst())).isEqualTo(r); // --replot renders the same result again
    }
}
