package dev.veil.model.gguf;

import dev.veil.model.Tensor;
import dev.veil.model.TensorOps;

/**
 * Row order of Q/K projections for llama.cpp's {@code llama} architecture. Hugging Face rotates the two halves of
 * each head ({@code rotate_half}); llama.cpp's "normal" RoPE rotates adjacent pairs. llama.cpp's converter
 * (LlamaModel.permute in convert_hf_to_gguf.py) therefore interleaves each head's rows: GGUF row {@code 2i + p} of a
 * head is Hugging Face row {@code p * headDim/2 + i}. Biases move with their rows.
 */
public final class LlamaCppRope {
    private LlamaCppRope() {}

    /** For each GGUF row, the Hugging Face row it comes from. */
    static int[] interleavedFromHf(int rows, int heads) {
        if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0)
            throw new IllegalArgumentException(rows + " rows cannot be split into " + heads + " heads of even size");
        int headDim = rows / heads, half = headDim / 2;
        int[] from = new int[rows];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int p = 0; p < 2; p++) from[h * headDim + 2 * i + p] = h * headDim + p * half + i;
        return from;
    }

    /** Hugging Face order -> llama.cpp order (for export). */
    public static Tensor toLlamaCpp(Tensor hf, int heads) {
        return TensorOps.permuteRows(hf, interleavedFromHf(hf.rows(), heads));
    }

    /** llama.cpp order -> Hugging Face order (for import). */
    public static Tensor toHf(Tensor gguf, int heads) {
        return TensorOps.permuteRows(gguf, TensorOps.inverse(interleavedFromHf(gguf.rows(), heads)));
    }
}
