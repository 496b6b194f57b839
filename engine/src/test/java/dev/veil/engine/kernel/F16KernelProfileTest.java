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
 * The F16 decode kernel, once C2 has compiled it, allocates nothing per row even when C2 has no receiver-type
 * profiles. Without profiles (which a fresh JVM on a busy machine often lacks for {@code VectorMath.sum}: see
 * docs/warm-start.md, "The first weight type is 5× slower anomaly"), a Vector API call on a vector typed only
 * {@code FloatVector} is not intrinsified and the kernel boxes its accumulator every 16 columns: 13 KB per row of
 * 2048, 4-5× slower. A child JVM with {@code -XX:-UseTypeProfile} makes that case deterministic; {@code -Xbatch} makes
 * the kernel compiled by the time it is measured.
 */
class F16KernelProfileTest {

    private static final int ROWS = 256, COLS = 2048;

    @Test
    void compiledF16KernelAllocatesNothingPerRowWithoutTypeProfiles() throws Exception {
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
        String line = out.lines()
                .filter(l -> l.startsWith("bytes per product "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no measurement in: " + out));
        long perProduct = Long.parseLong(line.substring("bytes per product ".length()));
        // a few hundred bytes per product (the parallel job); the boxing kernel allocated 13152 per row, 3.4 MB here
        assertThat(perProduct).as(out).isLessThan(4096);
    }

    /** Multiplies a random F16 matrix until C2 has compiled the kernel, then prints the bytes allocated per product. */
    public static final class Child {
        public static void main(String[] args) {
            SplittableRandom rnd = new SplittableRandom(3);
            float[] w = new float[ROWS * COLS], x = new float[COLS], out = new float[ROWS];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            Matrix m = Matrix.of(Tensor.of("w", DType.F16, w, ROWS, COLS));
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (Parallel one = new Parallel(1)) {
                for (int i = 0; i < 400; i++) MatMul.multiply(one, x, 1, m, out);
                int reps = 20;
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < reps; i++) MatMul.multiply(one, x, 1, m, out);
                System.out.println("bytes per product " + (mx.getCurrentThreadAllocatedBytes() - before) / reps);
            }
        }
    }
}
