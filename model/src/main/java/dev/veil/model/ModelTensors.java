package dev.veil.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors a checkpoint must hold for a given {@link ModelConfig}: Hugging Face names and shapes (PyTorch
 * [out, in] layout), in the order Hugging Face writes them, as {@link TensorRole} describes them.
 */
public final class ModelTensors {
    public static final String EMBED = TensorRole.EMBED.hf();
    public static final String FINAL_NORM = TensorRole.FINAL_NORM.hf();
    public static final String LM_HEAD = TensorRole.LM_HEAD.hf();

    private ModelTensors() {}

    /** Name -> shape of every tensor the model needs, in checkpoint order ({@link TensorRole}'s table). */
    public static Map<String, long[]> expected(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (TensorRole.Entry e : TensorRole.hfTensors(c)) m.put(e.name(), e.shape());
        return m;
    }

    /**
     * Checks that {@code w} holds every expected tensor with the expected shape and a float dtype, and nothing the
     * engine would silently ignore (such as an o_proj bias). Errors name {@code source} and the tensor.
     */
    public static void validate(ModelConfig c, Weights w, Object source) {
        for (var e : expected(c).entrySet()) {
            if (!w.contains(e.getKey()))
                throw new IllegalArgumentException(source + ": missing tensor '" + e.getKey() + "'");
            Tensor t = w.get(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue()))
                throw new IllegalArgumentException(source + ": tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(t.shape()) + " but config.json implies " + Arrays.toString(e.getValue()));
            if (!t.dtype().isWeight() || (t.rank() == 1 && !t.dtype().isFloat()))
                throw new IllegalArgumentException(
                        source + ": tensor '" + e.getKey() + "' has unsupported dtype " + t.dtype()
                                + " (Veil runs F32, F16, BF16, Q8_0, Q5_0, Q4_K and Q6_K weights; norms and biases in float)");
        }
        for (String name : w.names()) {
            if (name.endsWith("o_proj.bias")
                    || name.endsWith("mlp.gate_proj.bias")
                    || name.endsWith("mlp.up_proj.bias")
                    || name.endsWith("mlp.down_proj.bias"))
                throw new IllegalArgumentException(
                        source + ": tensor '" + name + "' is a bias Veil's engine does not apply (unsupported model)");
        }
    }
}
