package dev.veil.train.nn;

/** Selects rows of a {@code [n, d]} value by index: the tokens routed to one expert. */
public final class Rows {
    private Rows() {}

    /** {@code out[i] = x[rows[i]]}; the backward adds each row's gradient back, in index order. */
    public static Var gather(Tape tape, Var x, int[] rows) {
        int d = x.cols();
        float[] out = tape.uninitialized(rows.length * d);
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= x.rows())
                throw new IllegalArgumentException("row " + rows[i] + " outside " + x);
            System.arraycopy(x.value(), rows[i] * d, out, i * d, d);
        }
        Var result = Var.result(tape, out, tape.needsGrad(x), rows.length, d);
        if (result.requiresGrad()) {
            int[] saved = rows.clone();
            tape.record(() -> {
                float[] dy = result.gradBuffer(), dx = x.gradBuffer();
                for (int i = 0; i < saved.length; i++)
                    for (int c = 0; c < d; c++) dx[saved[i] * d + c] += dy[i * d + c];
            });
        }
        return result;
    }
}
