package dev.veil.attack;

import dev.veil.engine.TestModels;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random models and prompts for the attack tests. */
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
}
