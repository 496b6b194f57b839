package dev.veil.aloepri.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.TinyModels;
import dev.veil.engine.Perplexity;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccuracyExperimentTest {

    @TempDir
    Path tmp;

    /** Ids 3..vocab-1 (0-2 are the tiny models' specials), deterministic. */
    static int[] tokens(int n, ModelConfig c) {
        return IntStream.range(0, n)
                .map(i -> 3 + (i * 97 + 13) % (c.vocabSize() - 3))
                .toArray();
    }

    @Test
    void scoresMatchTheEnginesPerplexity() throws Exception {
        ModelConfig c = TinyModels.qwen();
        Path dir = TinyModels.write(tmp.resolve("m"), c, "scores");
        int[] ids = tokens(150, c);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            Transformer t = new Transformer(new LocalLinearBackend(c, w, Parallel.shared()));
            NextTokenScores s = NextTokenScores.of(t, ids, 64);
            Perplexity.Result expected = Perplexity.evaluate(t, ids, 64);
            assertThat(s.positions())
                    .isEqualTo(expected.tokens())
                    .isEqualTo(149 - 2); // windows [0,64) [64,128) [128,150)
            assertThat(s.meanNll()).isCloseTo(expected.meanNll(), within(1e-12));
            assertThat(s.target()[0]).isEqualTo(ids[1]);
            assertThat(s.target()[63])
                    .isEqualTo(ids[65]); // the second window starts at 64: its first target is ids[65]
        }
    }

    @Test
    void anOrthogonalKeyWithoutNoiseCostsNothing() throws Exception {
        // λ → 0, h = 0, no noise, no block permutation: P̂ is orthogonal, RMSNorm commutes, the model is exact
        ModelConfig c = TinyModels.llama();
        Path dir = TinyModels.write(tmp.resolve("m"), c, "exact");
        AloePriParams exact = new AloePriParams(1e-9, 0, 0, 0, 1, 1e3);
        try (AccuracyExperiment e =
                AccuracyExperiment.open(dir, tokens(120, c), new AccuracyExperiment.Settings(64, 32, "s"), x -> {})) {
            e.baselines();
            AccuracyExperiment.Result r = e.measure("exact", 0, DType.F32, exact);
            assertThat(r.agreement()).isEqualTo(1.0);
            assertThat(r.perplexityIncrease()).isCloseTo(0, within(1e-5));
            // the defaults are not exact: noise on a random model moves predictions
            AccuracyExperiment.Result d = e.measure("defaults", 0, DType.F32, AloePriParams.defaults(c.hiddenSize()));
            assertThat(d.agreement()).isLessThan(1.0);
        }
    }

    @Test
    void theSweepCoversEveryPointAndWritesTheReport() throws Exception {
        ModelConfig c = TinyModels.qwen();
        Path dir = TinyModels.write(tmp.resolve("m"), c, "sweep");
        AccuracyExperiment.Report r =
                AccuracyExperiment.run(dir, tokens(100, c), new AccuracyExperiment.Settings(64, 32, "s"), x -> {});
        assertThat(AccuracyExperiment.grid()).hasSize(5 + 4 + 2 * 4 + 4 + 2 * 4 + 4); // λ and h again without noise
        assertThat(r.results()).hasSize(AccuracyExperiment.grid().size() + 3);
        assertThat(r.plain()).extracting(AccuracyExperiment.Baseline::dtype).containsExactly("F32", "BF16");
        // the defaults are one point of three axes, measured once with one seed
        AccuracyExperiment.Result def = r.find("defaults", 0, "F32");
        for (var same :
                List.of(r.find("alpha_e", 1, "F32"), r.find("alpha_h", 0.2, "F32"), r.find("lambda", 0.3, "F32")))
            assertThat(same.perplexity()).isEqualTo(def.perplexity());
        assertThat(r.find("h", 128, "F32").params().expansion()).isEqualTo(128);
        assertThatThrownBy(() -> AccuracyExperiment.run(
                        dir, new int[] {5, 300, 7}, new AccuracyExperiment.Settings(64, 0, "s"), x -> {}))
                .hasMessageContaining("held-out token id 300 is outside the model's vocabulary of 300");
        assertThat(r.find("lambda", 3, "BF16").params().lambda()).isEqualTo(3);
        assertThat(r.find("h/no-noise", 64, "F32").params())
                .isEqualTo(AloePriParams.paper(c.hiddenSize()).withNoise(0, 0).withExpansion(64));
        for (var res : r.results()) {
            assertThat(res.perplexity()).isPositive().isFinite();
            assertThat(res.agreement()).isBetween(0.0, 1.0);
        }

        Path md = AccuracyReport.write(r, tmp.resolve("out"));
        assertThat(Files.readString(md))
                .contains("Target (defaults cost ≤ 3% held-out perplexity)")
                .contains("| 1.5 | F32 |");
        for (String svg : List.of("aloepri-noise.svg", "aloepri-lambda.svg", "aloepri-h.svg")) {
            var doc = DocumentBuilderFactory.newInstance()
                    .newDocumentBuilder()
                    .parse(tmp.resolve("out").resolve(svg).toFile());
            assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
            // noise: 2 axes × 2 panels; λ: 2 panels × (F32, BF16) × (noise, no noise); h: 2 panels × (noise, no noise)
            assertThat(doc.getElementsByTagName("polyline").getLength()).isEqualTo(svg.contains("lambda") ? 8 : 4);
        }
        assertThat(tmp.resolve("out/aloepri-accuracy.json")).exists();
    }
}
