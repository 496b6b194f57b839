package dev.veil.engine.kernel;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * A quick look at the quantized kernels' decode speed (not a test): mat-vec GB/s of weight blocks on a random matrix,
 * per type, in a fresh JVM. Run from the repository root after {@code mvn -pl engine -am test-compile}:
 * <pre>java --add-modules jdk.incubator.vector -cp model/target/classes:engine/target/classes:engine/target/test-classes \
 *     dev.veil.engine.kernel.QuantThroughput [rows] [cols] [threads] [Q8_0,Q4_K,Q6_K,Q5_0,Q4_K+packed,...]</pre>
 * Each matrix is in memory advised to use huge pages, as the local backend loads it; {@code Q4_K} is ggml's layout
 * read by {@link QuantKernels#rowsQ4_K}, {@code Q4_K+packed} the repacked tiles ({@link PackedTiles}; likewise Q6_K
 * and Q5_0). {@code
 * -Dtokens=n} multiplies n tokens per product (default 1).
 */
public final class QuantThroughput {

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2816;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        String[] types = (args.length > 3 ? args[3] : "Q8_0,Q4_K,Q6_K,Q5_0").split(",");
        SplittableRandom rnd = new SplittableRandom(1);
        int n = Integer.getInteger("tokens", 1);
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
        try (Parallel p = new Parallel(threads)) {
            for (String name : types) {
                DType t = DType.valueOf(name.replace("+packed", ""));
                Matrix m = Matrix.of(Tensor.of("w", t, v, rows, cols));
                Matrix w = name.endsWith("+packed")
                        ? m.inHugePages()
                        : new Matrix("w", HugePages.copy(m.data()), t, rows, cols);
                float[] out = new float[n * rows];
                for (int round = 0; round < Integer.getInteger("rounds", 4); round++) {
                    int reps = 50;
                    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                    long t0 = System.nanoTime(),
                            c0 = mx.getCurrentThreadCpuTime(),
                            a0 = mx.getCurrentThreadAllocatedBytes();
                    for (int r = 0; r < reps; r++) MatMul.multiply(p, x, n, w, out);
                    double s = (System.nanoTime() - t0) / 1e9 / reps,
                            cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / reps;
                    long alloc = (mx.getCurrentThreadAllocatedBytes() - a0) / reps;
                    System.out.printf(
                            "%s %dx%d %d tokens: %.3f ms wall, %.3f ms CPU of this thread, %.2f GB/s of blocks per CPU second, %d bytes allocated per product%n",
                            name, rows, cols, n, s * 1e3, cpu * 1e3, t.byteSize((long) rows * cols) / cpu / 1e9, alloc);
                }
            }
        }
    }
}
