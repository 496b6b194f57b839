package dev.veil.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Compiled kernels allocate nothing per call even when C2 has no receiver-type profiles: the decode kernels of every
 * float weight type (F32; BF16 and F16, each in its pairs form for even rows and its plain form for odd ones), of every
 * quantized type (ggml's layout and the repacked tiles), the quantized types' dequantization for the prompt kernels,
 * and VectorMath's element-wise steps. Without profiles (which a fresh JVM on a busy machine often lacks: docs/warm-start.md,
 * "The first weight type is 5× slower" anomaly), a Vector API call on a vector typed only {@code FloatVector} (a
 * loop-carried accumulator, a parameter) is not intrinsified and the vector is boxed on every step: 13 KB per row of
 * 2048, 4-5× slower. A child JVM with {@code -XX:-UseTypeProfile} makes that case deterministic; {@code -Xbatch} makes
 * the code compiled by the time it is measured.
 */
class KernelProfileTest {

    private static final int ROWS = 256, COLS = 2048;

    @Test
    void compiledDecodeKernelsAllocateNothingPerRowWithoutTypeProfiles() throws Exception {
        Process p = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-XX:-UseTypeProfile",
                        "-Xbatch",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Child.class.getName()))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        // the pairs kernels split x once per product (8 KB), and the parallel job takes a few hundred bytes; a kernel
        // that boxes its accumulator allocated ~13 KB per row, 3.4 MB per product here
        for (DType type : Child.TYPES)
            for (int cols : new int[] {COLS, COLS - 1})
                assertThat(bytesPerProduct(out, type, cols)).as(out).isLessThan(COLS * 4L + 2048);
        // quantized: the input quantized once per product (floats, shorts, scales: ~12 KB); a boxing kernel took MBs
        for (String kernel : Child.QUANTIZED)
            assertThat(measured(out, kernel + ": bytes per product ")).as(out).isLessThan(COLS * 8L + 2048);
        // dequantization for the prompt kernels: nothing (a boxing Q6_K conversion took 26 MB per product)
        for (String kernel : Child.QUANTIZED)
            if (!kernel.endsWith("+packed"))
                assertThat(measured(out, kernel + " dequantization: bytes per block "))
                        .as(out)
                        .isZero();
        // the element-wise steps: nothing at all (a boxing softmax or SwiGLU took 1.3 MB per call of 4096)
        for (String op : Child.ELEMENTWISE)
            assertThat(measured(out, op + ": bytes per call ")).as(out).isZero();
    }

    private static long bytesPerProduct(String out, DType type, int cols) {
        return measured(out, type + " " + cols + " columns: bytes per product ");
    }

    private static long measured(String out, String prefix) {
        return out.lines()
                .filter(l -> l.startsWith(prefix))
                .map(l -> Long.parseLong(l.substring(prefix.length())))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line '" + prefix + "' in: " + out));
    }

    /** Runs each kernel until C2 has compiled it, then prints the bytes allocated per product or call. */
    public static final class Child {
        static final List<DType> TYPES = List.of(DType.F32, DType.BF16, DType.F16);
        static final List<String> ELEMENTWISE = List.of("softmax", "swiGlu", "rmsNorm", "dotCompensated", "exp");
        /** Each quantized type in ggml's layout ({@link QuantKernels}) and, where it has one, repacked ({@link PackedTiles}). */
        static final List<String> QUANTIZED =
                List.of("Q8_0", "Q8_0+packed", "Q4_K", "Q4_K+packed", "Q6_K", "Q6_K+packed", "Q5_0", "Q5_0+packed");

        public static void main(String[] args) {
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (Parallel one = new Parallel(1)) {
                for (DType type : TYPES)
                    for (int cols : new int[] {COLS, COLS - 1}) {
                        SplittableRandom rnd = new SplittableRandom(cols);
                        float[] w = new float[ROWS * cols], x = new float[cols], out = new float[ROWS];
                        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                        Matrix m = Matrix.of(Tensor.of("w", type, w, ROWS, cols));
                        for (int i = 0; i < 400; i++) MatMul.multiply(one, x, 1, m, out);
                        int reps = 20;
                        long before = mx.getCurrentThreadAllocatedBytes();
                        for (int i = 0; i < reps; i++) MatMul.multiply(one, x, 1, m, out);
                        long perProduct = (mx.getCurrentThreadAllocatedBytes() - before) / reps;
                        System.out.println(type + " " + cols + " columns: bytes per product " + perProduct);
                    }
            }
            try (Parallel one = new Parallel(1)) {
                for (String kernel : QUANTIZED) {
                    DType type = DType.valueOf(kernel.replace("+packed", ""));
                    SplittableRandom rnd = new SplittableRandom(7);
                    float[] w = new float[ROWS * COLS], x = new float[COLS], out = new float[ROWS];
                    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    Matrix m = Matrix.of(Tensor.of("w", type, w, ROWS, COLS));
                    if (kernel.endsWith("+packed")) m = m.inHugePages();
                    if (kernel.endsWith("+packed") != (m.packed() != null))
                        throw new AssertionError(kernel + ": packed is " + m.packed());
                    for (int i = 0; i < 400; i++) MatMul.multiply(one, x, 1, m, out);
                    long before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 20; i++) MatMul.multiply(one, x, 1, m, out);
                    System.out.println(
                            kernel + ": bytes per product " + (mx.getCurrentThreadAllocatedBytes() - before) / 20);
                    if (kernel.endsWith("+packed")) continue;
                    // the prompt kernels' dequantization (TiledRows' 16-row blocks)
                    float[] block = new float[16 * COLS];
                    for (int i = 0; i < 400; i++) m.widenRows(16 * (i % (ROWS / 16)), 16, block, 0);
                    before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 20; i++) m.widenRows(16 * (i % (ROWS / 16)), 16, block, 0);
                    System.out.println(type + " dequantization: bytes per block "
                            + (mx.getCurrentThreadAllocatedBytes() - before) / 20);
                }
            }
            int n = 4096;
            SplittableRandom rnd = new SplittableRandom(1);
            float[] x = new float[2 * n], y = new float[2 * n];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            for (String op : ELEMENTWISE) {
                Runnable call = switch (op) {
                    case "softmax" -> () -> VectorMath.softmax(y, 0, n);
                    case "swiGlu" -> () -> VectorMath.swiGlu(x, 0, 1, n, y);
                    case "rmsNorm" -> () -> VectorMath.rmsNorm(x, 0, 1, n, 1e-5, y);
                    case "dotCompensated" -> () -> y[0] = VectorMath.dotCompensated(x, 0, x, n, n);
                    case "exp" ->
                        () -> {
                            for (int k = 0; k < n; k += Half.F.length())
                                VectorMath.exp(FloatVector.fromArray(Half.F, x, k))
                                        .intoArray(y, k);
                        };
                    default -> throw new IllegalArgumentException(op);
                };
                for (int i = 0; i < 2000; i++) call.run();
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 20; i++) call.run();
                System.out.println(op + ": bytes per call " + (mx.getCurrentThreadAllocatedBytes() - before) / 20);
            }
        }
    }
}
