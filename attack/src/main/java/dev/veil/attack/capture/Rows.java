package dev.veil.attack.capture;

import java.util.Arrays;

/** {@code rows × cols} floats, row-major: the rows of one product (or internal state) in the order they were seen. */
public record Rows(int cols, float[] data) {

    public Rows {
        if (cols < 1) throw new IllegalArgumentException("rows need at least one column, got " + cols);
        if (data.length % cols != 0)
            throw new IllegalArgumentException(data.length + " values do not make rows of " + cols + " columns");
    }

    public int rows() {
        return data.length / cols;
    }

    /** Row {@code i} (a copy). */
    public float[] row(int i) {
        return Arrays.copyOfRange(data, i * cols, (i + 1) * cols);
    }

    /** Rows {@code from .. to-1} (a copy). */
    public Rows slice(int from, int to) {
        return new Rows(cols, Arrays.copyOfRange(data, from * cols, to * cols));
    }
}
