package dev.veil.attack.aloepri;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.AloePriParams;
import dev.veil.attack.Progress;
import dev.veil.attack.capture.Capture;
import dev.veil.attack.capture.Mode;
import dev.veil.attack.capture.Obfuscation;
import dev.veil.attack.capture.Request;
import dev.veil.engine.TestModels;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Records;
import dev.veil.model.Weights;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The weight-only attacks on obfuscated Qwen3 and Qwen3-MoE (random weights, the engine's fixture shapes). Qwen3's
 * q_norm/k_norm restrict the head key to signed moves of single columns (QkNormKey): |embed·Wq| with sorted rows then
 * reads the tokens without any key product, which the full key (rotation and scaling per pair, Qwen2) stops. MoE adds
 * embed·router and every expert's units to the products.
 */
class QwenFamiliesAuditTest {

    static final int[] HELDOUT = new Random(7).ints(600, 6, 300).toArray();
    static final int[] PUBLIC = new Random(8).ints(2000, 0, 40).toArray();

    /** Qwen2 with Qwen3's fixture shape (q/k/v biases, which Qwen2 always has, instead of q/k norms). */
    static ModelConfig qwen2LikeQwen3() {
        return Records.with(TestModels.qwen3(), "architecture", ModelConfig.Architecture.QWEN2, "attentionBias", true);
    }

    record Audited(SelfAudit.Report report, Map<String, Double> byAttack, double queryColumns) {}

    static Audited audit(String label, ModelConfig c, AloePriParams p) {
        Weights w = TestModels.random(c, DType.F32, 11);
        Set<Integer> fixed = Set.copyOf(c.eosTokenIds());
        Obfuscation o = Obfuscation.of(c, w, p, fixed, "qwen-audit", 64, null);
        SelfAudit.Report r =
                SelfAudit.run(c, w, o.config(), o.weights(), o.tau().forward(), HELDOUT, PUBLIC, Progress.NONE);
        // |embed·Wq| for every family, Qwen2 included (the audit runs it only where q_norm makes it apply)
        Capture capture = new Capture(
                Mode.ALOEPRI,
                Path.of("s"),
                Path.of("p"),
                Map.of(),
                List.of(new Request(0, List.of(), Map.of(), new int[0], new int[0])),
                List.of());
        AloePriTarget t = new AloePriTarget(capture, o.config(), o.weights(), c, w);
        float[] votes = new float[c.vocabSize() * c.vocabSize()];
        for (int l = 0; l < c.numLayers(); l++) {
            int layer = l;
            WeightProductMatchingAttack.addVotes(
                    new WeightProductMatchingAttack.Product(
                            "layer " + l + " " + WeightProductMatchingAttack.QUERY_COLUMNS,
                            s -> s.config().qDim(),
                            s -> s.queriesAbs(layer)),
                    t,
                    votes);
        }
        double columns = SelfAudit.textRecovery(
                VocabMapping.nearest(votes, c.vocabSize(), 10), o.tau().forward(), HELDOUT);
        Map<String, Double> by =
                r.rows().stream().collect(Collectors.toMap(SelfAudit.Row::attack, SelfAudit.Row::text));
        System.out.printf(Locale.ROOT, "[qwen audit] %s: %s; |embed·Wq| %.3f%n", label, r.headline(), columns);
        for (SelfAudit.Row row : r.rows())
            System.out.printf(Locale.ROOT, "[qwen audit] %s   %-75s %.3f%n", label, row.attack(), row.text());
        return new Audited(r, by, columns);
    }

    static final String ATTN_IA = new AttentionInvariantAttack(1).name(),
            ATTN_VMA = new WeightProductMatchingAttack(1, "embed·Wq·(embed·Wk)ᵀ").name();

    @Test
    void qNormLeavesSingleQueryColumnsThatGiveTheTokensAway() {
        ModelConfig q3 = TestModels.qwen3(), q2 = qwen2LikeQwen3();
        AloePriParams noiseOff = AloePriParams.paper(q3.hiddenSize()).withNoise(0, 0);
        Audited qwen3 = audit("qwen3 noise off", q3, noiseOff), qwen2 = audit("qwen2 noise off", q2, noiseOff);
        assertThat(qwen3.byAttack())
                .containsKey(new WeightProductMatchingAttack(1, WeightProductMatchingAttack.QUERY_COLUMNS).name());
        assertThat(qwen3.queryColumns()).isGreaterThanOrEqualTo(0.9);
        // the full key mixes the two columns of each pair: seen 0.53 on Qwen2 (two columns of V = 320 rows still
        // carry a lot), against 1.0 when single columns are only moved and sign-flipped
        assertThat(qwen2.queryColumns()).isLessThan(qwen3.queryColumns() - 0.3);
        Audited d3 = audit("qwen3 defaults", q3, AloePriParams.defaults(q3.hiddenSize()));
        Audited d2 = audit("qwen2 defaults", q2, AloePriParams.defaults(q2.hiddenSize()));
        System.out.printf(
                Locale.ROOT,
                "[qwen audit] attention side, noise off / defaults: qwen3 |embed·Wq| %.3f / %.3f, attn IA %.3f / %.3f, "
                        + "attn VMA %.3f / %.3f; qwen2 |embed·Wq| %.3f / %.3f, attn IA %.3f / %.3f, attn VMA %.3f / %.3f%n",
                qwen3.queryColumns(),
                d3.queryColumns(),
                qwen3.byAttack().get(ATTN_IA),
                d3.byAttack().get(ATTN_IA),
                qwen3.byAttack().get(ATTN_VMA),
                d3.byAttack().get(ATTN_VMA),
                qwen2.queryColumns(),
                d2.queryColumns(),
                qwen2.byAttack().get(ATTN_IA),
                d2.byAttack().get(ATTN_IA),
                qwen2.byAttack().get(ATTN_VMA),
                d2.byAttack().get(ATTN_VMA));
        // at the defaults the embedding noise hides single columns as well as the full key does (1.5% both, seen)
    }

    /** The sweep audit lists only the families a model has products for, and leaves out ISA where train cannot run it. */
    @Test
    void familiesAndIsaFollowTheArchitecture() {
        assertThat(WeightProductMatchingAttack.families(qwen2LikeQwen3()))
                .doesNotContain(WeightProductMatchingAttack.ROUTER, WeightProductMatchingAttack.QUERY_COLUMNS)
                .hasSize(5);
        assertThat(WeightProductMatchingAttack.families(TestModels.qwen3Moe()))
                .contains(WeightProductMatchingAttack.ROUTER, WeightProductMatchingAttack.QUERY_COLUMNS);
        assertThat(InternalStateAttack.runs(qwen2LikeQwen3())).isTrue();
        assertThat(InternalStateAttack.runs(TestModels.qwen3())).isFalse();
    }

    @Test
    void expertsAndTheRouterAreAttackedToo() {
        ModelConfig c = TestModels.qwen3Moe();
        Audited off = audit(
                "qwen3moe noise off", c, AloePriParams.paper(c.hiddenSize()).withNoise(0, 0));
        String router = new WeightProductMatchingAttack(1, WeightProductMatchingAttack.ROUTER).name(),
                downHead = new WeightProductMatchingAttack(1, "down·head").name();
        assertThat(off.byAttack()).containsKeys(router, downHead);
        assertThat(off.report().strongest().text()).isGreaterThanOrEqualTo(0.95);
        // every expert's units in one product: down·head reads the text as in a dense model
        assertThat(off.byAttack().get(downHead)).isGreaterThanOrEqualTo(0.9);
        audit("qwen3moe defaults", c, AloePriParams.defaults(c.hiddenSize()));
    }
}
