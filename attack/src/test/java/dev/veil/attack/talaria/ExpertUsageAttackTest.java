package dev.veil.attack.talaria;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.attack.UnigramBaseline;
import dev.veil.attack.audit.AttackResult;
import dev.veil.attack.audit.AuditResult;
import dev.veil.attack.audit.Bars;
import dev.veil.attack.audit.ExpertUsageAudit;
import dev.veil.attack.audit.SettingResult;
import dev.veil.engine.TestModels;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.client.ExpertCover;
import dev.veil.talaria.protocol.MaskPrg;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The expert-usage attack on a random Qwen3-MoE shape (16 experts, top-2, 4 sparse layers, V = 512; random weights,
 * not a trained model): it reads top-k routing almost completely, and nothing when every expert gets every row.
 */
class ExpertUsageAttackTest {

    static final ModelConfig MOE = ModelConfig.of(
                    ModelConfig.Architecture.QWEN3_MOE,
                    512,
                    64,
                    128,
                    4,
                    4,
                    2,
                    16,
                    new ModelConfig.Moe(16, 2, 32, true, 1, List.of()))
            .withNorm(1e-6, 1_000_000.0, null)
            .withTokens(256, false, false, -1, List.of(511));

    /** Zipf-distributed token ids: a stand-in for text, with a prior worth having (s = 1.1 over the vocabulary). */
    static int[] zipf(int n, int vocab, long seed) {
        double[] cdf = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) cdf[i] = sum += 1 / Math.pow(i + 1, 1.1);
        Random r = new Random(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble() * sum;
            int t = java.util.Arrays.binarySearch(cdf, u);
            out[i] = Math.min(vocab - 2, t < 0 ? -t - 1 : t); // the last id is EOS: never in a prompt
        }
        return out;
    }

    @Test
    void recoversTopKRoutingAndNothingWhenEveryExpertIsCalled() {
        Weights w = TestModels.random(MOE, DType.F32, 7);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) prompts.add(zipf(8, MOE.vocabSize(), 100 + i));
        int[] pub = zipf(20_000, MOE.vocabSize(), 1);
        AuditResult r = ExpertUsageAudit.run(
                MOE, w, "random qwen3-moe", ExpertUsageAudit.standardCovers(MOE), prompts, 6, pub, new Bars(false));
        StringBuilder table =
                new StringBuilder("setting | attack top-1 | reads nothing | FFN work | expert bytes/token\n");
        for (SettingResult s : r.settings())
            table.append(String.format(
                    "%s | %.3f | %.3f | %s | %s%n",
                    s.name(),
                    top1(s, ExpertUsageAttack.NAME),
                    top1(s, UnigramBaseline.NAME),
                    s.setting().get("expert FFN work vs top-k"),
                    s.setting().get("expert bytes per token")));
        System.out.println("[expert usage] " + MOE.moe() + "\n" + table);

        assertThat(r.settings().stream().map(SettingResult::name))
                .containsExactly(
                        ExpertUsageAudit.TOPK,
                        "top-k + 1 decoys",
                        "top-k + 2 decoys",
                        "every expert (default)"); // D = 2 = k: one setting
        SettingResult topk = r.setting(ExpertUsageAudit.TOPK).orElseThrow();
        SettingResult all = r.setting("every expert (default)").orElseThrow();
        assertThat(topk.attacks().getFirst().positions()).isEqualTo(8 * (8 + 5));
        assertThat(top1(topk, ExpertUsageAttack.NAME)).isGreaterThanOrEqualTo(0.97);
        // decoys blur the sets a little; far from enough while the candidates must fit at every layer
        assertThat(top1(r.setting("top-k + 2 decoys").orElseThrow(), ExpertUsageAttack.NAME))
                .isLessThanOrEqualTo(top1(topk, ExpertUsageAttack.NAME))
                .isGreaterThan(0.5);
        // every expert: the observation is the full set for every token, so the attack is its prior and no better
        assertThat(top1(all, ExpertUsageAttack.NAME)).isEqualTo(top1(all, UnigramBaseline.NAME));
        assertThat(top1(all, UnigramBaseline.NAME)).isLessThan(0.2);
        assertThat(topk.setting().get("expert FFN work vs top-k")).isEqualTo("1.00x");
        assertThat(all.setting().get("expert FFN work vs top-k")).isEqualTo("8.00x");
        // per token: 4 sparse layers x experts x (2·64 + 3·32) FP32 values
        assertThat(topk.setting().get("expert bytes per token")).isEqualTo(Long.toString(4L * 4 * 2 * 224));
    }

    /** What the cloud is served under "all" does not depend on the text at all. */
    @Test
    void everyExpertShowsTheSameSetForEveryToken() {
        Weights w = TestModels.random(MOE, DType.F32, 7);
        var backend = new LocalLinearBackend(MOE, w, Parallel.shared());
        MaskPrg prg = MaskPrg.derive(new byte[32], "t");
        var seen = ExpertUsageAttack.observe(MOE, backend, ExpertCover.ALL, prg, zipf(5, 512, 3), 3)
                .observation();
        assertThat(seen.sent()).hasNumberOfRows(5 + 2);
        for (boolean[] row : seen.sent()) for (boolean b : row) assertThat(b).isTrue();
        var topk = ExpertUsageAttack.observe(MOE, backend, ExpertCover.topK(0), prg, zipf(5, 512, 3), 3)
                .observation();
        for (boolean[] row : topk.sent()) {
            int count = 0;
            for (boolean b : row) if (b) count++;
            assertThat(count).isEqualTo(4 * 2); // 4 sparse layers x k
        }
    }

    @Test
    void aDenseModelIsRefused() {
        ModelConfig dense = TestModels.qwen3();
        assertThatThrownBy(() -> new ExpertUsageAttack(
                        dense, new LocalLinearBackend(dense, TestModels.random(dense, DType.F32, 1), 1), new int[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mixture-of-experts");
    }

    private static double top1(SettingResult s, String attack) {
        return s.attack(attack).map(AttackResult::top1).orElseThrow();
    }
}
