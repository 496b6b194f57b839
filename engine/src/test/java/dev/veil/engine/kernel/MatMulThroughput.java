package dev.veil.engine.kernel;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * A quick, JMH-free look at the kernels' speed (not a test): decode mat-vec GB/s and batched GFLOP/s on a large
 * random matrix. Run from the repository root after {@code mvn -pl engine -am test-compile}:
 * <pre>java --add-modules jdk.incubator.vector -cp model/target/classes:engine/target/classes:engine/target/test-classes \
 *     dev.veil.engine.kernel.MatMulThroughput [rows] [cols] [threads] [batch] [F32,F16,BF16]</pre>
 * With {@code -DcpuTime=true} and one thread, times are the thread's CPU time (for a busy machine). Each line also
 * gives the bytes the calling thread allocated per product (with one thread it does all the work): a compiled kernel
 * allocates nothing per row, so a figure in the kilobytes per row means C2 left a Vector API call un-intrinsified and
 * boxes vectors in the loop (docs/warm-start.md, "The first weight type is 5× slower anomaly").
 */
public final class MatMulThroughput {

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int threads = args.length > 2
                ? Integer.parseInt(args[2])
                : Runtime.getRuntime().availableProcessors();
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        String[] types = (args.length > 4 ? args[4] : "F32,F16,BF16").split(",");
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        try (Parallel p = new Parallel(threads);
                Arena arena = Arena.ofShared()) {
            for (String name : types) {
                DType t = DType.valueOf(name);
                MemorySegment seg = arena.allocate((long) rows * cols * t.bytes, 64);
                for (long i = 0; i < (long) rows * cols; i++) {
                    float v = (float) (rnd.nextGaussian() * 0.02);
                    switch (t) {
                        case F32 -> seg.setAtIndex(Tensor.F32, i, v);
                        case F16 -> seg.setAtIndex(Tensor.I16, i, Float.floatToFloat16(v));
                        default -> seg.setAtIndex(Tensor.I16, i, DType.toBF16(v));
                    }
                }
                Matrix w = new Matrix("w", seg, t, rows, cols);
                float[] out = new float[batch * rows];
                Timing decode = best(() -> MatMul.multiply(p, x, 1, w, out), 50);
                Timing batched = best(() -> MatMul.multiply(p, x, batch, w, out), 8);
                System.out.printf(
                        "%-4s %dx%d threads=%d  decode %.2f ms = %.1f GB/s, %d B/call   batch %d: %.1f ms = %.1f GFLOP/s,"
                                + " %d B/call%n",
                        t,
                        rows,
                        cols,
                        threads,
                        decode.seconds * 1e3,
                        (double) rows * cols * t.bytes / decode.seconds / 1e9,
                        decode.allocated,
                        batch,
                        batched.seconds * 1e3,
                        2.0 * batch * rows * cols / batched.seconds / 1e9,
                        batched.allocated);
            }
        }
    }

    /** The best time of a run in seconds, and the bytes the calling thread allocated per run (the mean). */
    private record Timing(double seconds, long allocated) {}

    /**
     * Best time of {@code reps} runs after as many warm-up runs: wall-clock time, or with one thread the thread's CPU
     * time, which a busy shared machine disturbs less.
     */
    private static Timing best(Runnable r, int reps) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        boolean cpu = Boolean.getBoolean("cpuTime");
        for (int i = 0; i < reps; i++) r.run();
        double best = Double.MAX_VALUE;
        long allocated = 0;
        for (int i = 0; i < reps; i++) {
            long b0 = mx.getCurrentThreadAllocatedBytes();
            long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            r.run();
            best = Math.min(best, ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e9);
            allocated += mx.getCurrentThreadAllocatedBytes() - b0;
        }
        return new Timing(best, allocated / reps);
    }
}
