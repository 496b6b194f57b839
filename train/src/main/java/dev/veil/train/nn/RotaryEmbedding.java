package dev.veil.train.nn;

import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.Rope;
import dev.veil.model.ModelConfig;

/**
 * Rotary position embedding with Hugging Face's {@code rotate_half} pairing: within each head, element {@code i}
 * rotates with element {@code i + headDim/2} by angle {@code position · θ^(−2i/headDim)} — the pairing the
 * inference engine uses for HF checkpoints.
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final int maxPositions;
    private final float[] cos;
    private final float[] sin;

    /** Tables for positions {@code 0 .. maxPositions-1}, optionally with llama3 frequency scaling. */
    public RotaryEmbedding(int headDim, double theta, ModelConfig.RopeScaling scaling, int maxPositions) {
        this.headDim = headDim;
        this.maxPositions = maxPositions;
        // the inference engine's own tables: training and inference rotate by bit-identical angles
        Rope.Table table = new Rope(headDim, theta, scaling).table(0, maxPositions);
        this.cos = table.cos();
        this.sin = table.sin();
    }

    public RotaryEmbedding(int headDim, double theta, int maxPositions) {
        this(headDim, theta, null, maxPositions);
    }

    public static RotaryEmbedding of(ModelConfig c) {
        return new RotaryEmbedding(c.headDim(), c.ropeTheta(), c.ropeScaling(), c.maxPositionEmbeddings());
    }

    /**
     * Rotates every head of {@code x} ({@code [batch·seq, heads·headDim]}); row {@code r} sits at position
     * {@code r % seq}.
     */
    public Var apply(Tape tape, Var x, int seq) {
        int n = x.rows(), width = x.cols();
        if (width % headDim != 0)
            throw new IllegalArgumentException("rope: width " + width + " is not a multiple of head_dim " + headDim);
        if (seq > maxPositions)
            throw new IllegalArgumentException(
                    "rope: sequence of " + seq + " exceeds the " + maxPositions + " positions");
        float[] out = tape.uninitialized(x.size());
        rotate(x.value(), out, n, width, seq, +1);
        Var result = Var.result(tape, out, tape.needsGrad(x), x.shape());
        if (result.requiresGrad()) {
            tape.record(() -> {
                float[] back = tape.uninitialized(out.length);
                rotate(result.gradBuffer(), back, n, width, seq, -1); // the transpose of a rotation is its inverse
                float[] dx = x.gradBuffer();
                for (int i = 0; i < back.length; i++) dx[i] += back[i];
            });
        }
        return result;
    }

    /** Rotates by +angle ({@code sign} = 1) or −angle (−1). */
    private void rotate(float[] in, float[] out, int n, int width, int seq, int sign) {
        int half = headDim / 2;
        Parallel.shared().forEach(n, r -> {
            int t = (r % seq) * half;
            for (int h = r * width, end = h + width; h < end; h += headDim) {
                for (int i = 0; i < half; i++) {
                    float c = cos[t + i], s = sign * sin[t + i];
                    float x1 = in[h + i], x2 = in[h + i + half];
                    out[h + i] = x1 * c - x2 * s;
                    out[h + i + half] = x2 * c + x1 * s;
                }
            }
        });
    }
}
