package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;

/** Tolerance checks for float results against double references. */
public final class Close {

    private Close() {}

    /** max |actual − expected| / max |expected| over all elements (a scale-aware relative error). */
    public static double relativeError(float[] actual, double[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        double diff = 0, scale = 0;
        for (int i = 0; i < actual.length; i++) {
            diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return diff / scale;
    }

    public static double relativeError(float[] actual, float[] expected) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = expected[i];
        return relativeError(actual, e);
    }

    public static void assertClose(float[] actual, double[] expected, double tolerance, String what) {
        assertThat(relativeError(actual, expected))
                .as(what + ": max error relative to max |expected|")
                .isLessThanOrEqualTo(tolerance);
    }
}
