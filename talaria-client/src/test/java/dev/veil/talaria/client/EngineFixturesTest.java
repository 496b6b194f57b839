package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.TestModels;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.MaskSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every engine fixture shape (Llama GQA + llama3 scaling, Qwen2 with bias and tied head, head_dim ≠ hidden/heads with
 * attention bias, MHA; F32 and BF16 weights) through Talaria: the masked logits of a prompt equal the plain engine's
 * to FP32 rounding. (Greedy continuations are compared in LosslessTest on models with well-separated logits; these
 * random fixtures have near-ties that a 1e-6 difference may flip.)
 */
class EngineFixturesTest {

    @Test
    void maskedLogitsEqualThePlainEnginesOnEveryFixture() throws Exception {
        StringBuilder report = new StringBuilder();
        for (Map.Entry<String, ModelConfig> e : TestModels.all().entrySet()) {
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                ModelConfig c = e.getValue();
                try (Harness h = new Harness(c, TestModels.random(c, dtype, 5))) {
                    int[] prompt = h.prompts(1, 3).getFirst();
                    float[] plain = LosslessTest.logits(h.local, prompt);
                    double top = 0;
                    for (float v : plain) top = Math.max(top, Math.abs(v));
                    for (TalariaOptions o : new TalariaOptions[] {
                        TalariaOptions.DEFAULT, TalariaOptions.DEFAULT.withHidden(MaskSpec.remo(0.5))
                    }) {
                        MaskedRemoteBackend talaria = h.client(o);
                        talaria.beginRequest(prompt.length);
                        float[] masked = LosslessTest.logits(talaria, prompt);
                        double worst = 0;
                        for (int i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(masked[i] - plain[i]));
                        report.append(String.format(
                                "  %-10s %-4s %-10s max |Δlogit| %.2e (max |logit| %.2f)%n",
                                e.getKey(), dtype, o.hidden(), worst, top));
                        assertThat(worst)
                                .as("%s %s %s", e.getKey(), dtype, o.hidden())
                                .isLessThan(1e-4 * Math.max(top, 1));
                    }
                }
            }
        }
        System.out.print("[talaria] engine fixtures through Talaria:\n" + report);
    }
}
