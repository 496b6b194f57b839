package dev.veil.talaria.client;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The client's two small kernels: {@code y += a·x} (masking, unmasking) and a double-precision dot (the check). */
final class Kernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Kernels() {}

    /** {@code y[yOff + i] += a · x[xOff + i]} for {@code i < len}. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector va = FloatVector.broadcast(F, a);
        int i = 0;
        for (int end = F.loopBound(len); i < end; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i)
                    .fma(va, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < len; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** {@code Σ a[aOff + i] · b[bOff + i]} accumulated in double. */
    static double dot(float[] a, int aOff, float[] b, int bOff, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += (double) a[aOff + i] * b[bOff + i];
        return s;
    }

    /** Euclidean norm of {@code len} values from {@code off}, in double. */
    static double norm(float[] a, int off, int len) {
        return Math.sqrt(dot(a, off, a, off, len));
    }
}
