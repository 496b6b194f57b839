package dev.veil.attack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.attack.metrics.Recovery;
import dev.veil.engine.TestModels;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random models and prompts for the attack tests, and the check every attack suite makes. */
public final class Fixtures {

    private Fixtures() {}

    public record Model(ModelConfig config, Weights weights) {}

    /** The engine's Qwen2 fixture (vocabulary 320, hidden 48, tied embeddings, q/k/v bias). */
    public static Model qwen2() {
        ModelConfig c = TestModels.qwen2();
        return new Model(c, TestModels.random(c, DType.F32, 7));
    }

    /** The engine's Llama fixture (vocabulary 300, hidden 64, untied head, llama3 rope scaling). */
    public static Model llama() {
        ModelConfig c = TestModels.llama();
        return new Model(c, TestModels.random(c, DType.F32, 8));
    }

    /** {@code count} prompts of {@code length} random ids, none of them a special id of {@code c}. */
    public static List<int[]> prompts(ModelConfig c, int count, int length, long seed) {
        Random r = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] p = new int[length];
            for (int j = 0; j < length; j++) {
                int id;
                do id = r.nextInt(c.vocabSize());
                while (id == c.bosTokenId() || c.eosTokenIds().contains(id));
                p[j] = id;
            }
            out.add(p);
        }
        return out;
    }

    /**
     * What both attack suites hold each attack to: at least 97% top-1 where it is built to work ({@code unprotected}),
     * printed beside its numbers on the deployment's defaults.
     */
    public static void checkWorks(
            String attack, String unprotected, Recovery works, String defaults, Recovery deployed) {
        System.out.printf(
                "[attack] %-55s %-34s top-1 %.3f | %s: top-1 %.3f top-10 %.3f (chance %.4f, %d positions)%n",
                attack,
                unprotected,
                works.top1(),
                defaults,
                deployed.top1(),
                deployed.topK(),
                deployed.chance(),
                deployed.positions());
        assertThat(works.top1()).as("%s on %s", attack, unprotected).isGreaterThanOrEqualTo(0.97);
    }
}
