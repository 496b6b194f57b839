package dev.veil.train.nn;

/** Looks up rows of an embedding table by token id. */
public final class Embedding {
    private Embedding() {}

    /** {@code table} is {@code [vocab, dim]}; returns {@code [ids.length, dim]}. */
    public static Var lookup(Tape tape, Var table, int[] ids) {
        int vocab = table.rows(), dim = table.cols();
        float[] out = tape.uninitialized(ids.length * dim);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab)
                throw new IllegalArgumentException(
                        "token id " + ids[i] + " at position " + i + " is outside the vocabulary of " + vocab);
            System.arraycopy(table.value(), ids[i] * dim, out, i * dim, dim);
        }
        Var result = Var.result(tape, out, tape.needsGrad(table), ids.length, dim);
        if (result.requiresGrad()) {
            int[] saved = ids.clone();
            tape.record(() -> backward(result.gradBuffer(), saved, table.gradBuffer(), dim));
        }
        return result;
    }

    /** Scatter-adds each output row's gradient into its token's row, in position order (deterministic). */
    static void backward(float[] dy, int[] ids, float[] dtable, int dim) {
        for (int i = 0; i < ids.length; i++) {
            int row = ids[i] * dim, src = i * dim;
            for (int c = 0; c < dim; c++) dtable[row + c] += dy[src + c];
        }
    }
}
