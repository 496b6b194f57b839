package dev.veil.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The F16 decode kernels ({@link Matrix#dotRowF16Pairs}, {@link Matrix#dotRowF16}), once C2 has compiled them,
 * allocate nothing per row even when C2 has no receiver-type profiles. Without profiles (which a fresh JVM on a busy
 * machine often lacks for {@code VectorMath.sum}: docs/warm-start.md, "The first weight type is 5× slower anomaly"), a
 * Vector API call on a vector typed only {@code FloatVector} is not intrinsified and the kernel boxes its accumulator
 * every 16 columns: 13 KB per row of 2048, 4-5× slower. A child JVM with {@code -XX:-UseTypeProfile} makes that case deterministic; {@code -Xbatch} makes
 * the kernels compiled by the time they are measured.
 */
class F16KernelProfileTest {

    private static final int ROWS = 256, COLS = 2048;

    @Test
    void compiledF16KernelsAllocateNothingPerRowWithoutTypeProfiles() throws Exception {
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
        // even columns: dotRowF16Pairs (x split once per product, 8 KB); odd: dotRowF16. Besides, a few hundred bytes
        // per product (the parallel job); the boxing kernel allocated ~13 KB per row, 3.4 MB per product here.
        assertThat(bytesPerProduct(out, COLS)).as(out).isBetween(COLS * 4L, COLS * 4L + 2048);
        assertThat(bytesPerProduct(out, COLS - 1)).as(out).isLessThan(2048);
    }

    private static long bytesPerProduct(String out, int cols) {
        String prefix = cols + " columns: bytes per product ";
        return out.lines()
                .filter(l -> l.startsWith(prefix))
                .map(l -> Long.parseLong(l.substring(prefix.length())))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no measurement for " + cols + " columns in: " + out));
    }

    /** Multiplies random F16 matrices until C2 has compiled the kernels, then prints the bytes allocated per product. */
    public static final class Child {
        public static void main(String[] args) {
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (Parallel one = new Parallel(1)) {
                for (int cols : new int[] {COLS, COLS - 1}) {
                    SplittableRandom rnd = new SplittableRandom(cols);
                    float[] w = new float[ROWS * cols], x = new float[cols], out = new float[ROWS];
                    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    Matrix m = Matrix.of(Tensor.of("w", DType.F16, w, ROWS, cols));
                    for (int i = 0; i < 400; i++) MatMul.multiply(one, x, 1, m, out);
                    int reps = 20;
                    long before = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < reps; i++) MatMul.multiply(one, x, 1, m, out);
                    long perProduct = (mx.getCurrentThreadAllocatedBytes() - before) / reps;
                    System.out.println(cols + " columns: bytes per product " + perProduct);
                }
            }
        }
    }
}
