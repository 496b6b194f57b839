package dev.veil.engine.kernel;

import static dev.veil.engine.kernel.Half.F;
import static dev.veil.engine.kernel.Half.I;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A microbenchmark (not a test) of quantized row dots, CPU time of the thread, one variant per fresh JVM: today's Vector
 * API kernels against integer dot products left to C2's auto-vectorizer ({@code a[2i]·b[2i] + a[2i+1]·b[2i+1]} over
 * shorts, which C2 matches as MulAddS2I and, in the store form only, vectorizes to {@code vpmaddwd}: the Vector API has
 * no such operation), and the short-prompt kernels. Results: docs/quantization.md.
 * <pre>java --add-modules jdk.incubator.vector -cp model/target/classes:engine-core/target/classes:engine/target/classes:engine/target/test-classes \
 *     [-Dtype=Q8_0|Q4_K|Q6_K|Q5_0] [-Dtokens=N] [-Dcopies=N] dev.veil.engine.kernel.Q8DotBench VARIANT [rows] [cols] [rounds]</pre>
 * VARIANT: {@code vector} (the decode kernel of the type, {@link MatMul#quantizedRowsTimesTokens}), {@code tiled}
 * ({@link TiledRows}) and {@code gemm} ({@link Gemm}) on the dequantized activations; Q8_0 and one token only:
 * {@code madd} (a row's weights widened to a short scratch, pair products stored by a plain loop, blocks scaled with
 * the Vector API), {@code madd4} (the same for four rows sharing each activation load), {@code reduce} (a plain int
 * reduction per 32-block). {@code -Dcopies=N}: N distinct copies of the matrix in turn (streamed from memory).
 * With {@code -Dmodel=FILE.gguf} (add the bench jar to the class path) it multiplies every quantized matrix of the
 * file by one token instead, {@code VARIANT rounds} as arguments, weights mapped ({@code -Dcopy=no}), copied
 * ({@code anon}) or copied into huge-page memory ({@code huge}).
 */
public final class Q8DotBench {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 32));
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 16));

    public static void main(String[] args) throws Throwable {
        if (System.getProperty("model") != null) {
            model(args[0], java.nio.file.Path.of(System.getProperty("model")), Integer.parseInt(args[1]));
            return;
        }
        String variant = args[0];
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 2816;
        int cols = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
        DType type = DType.valueOf(System.getProperty("type", "Q8_0"));
        int n = Integer.getInteger("tokens", 1);
        float[] xn = new float[n * cols];
        for (int t = 0; t < n; t++) for (int i = 0; i < cols; i++) xn[t * cols + i] = x[i] * (1 + 0.1f * t);
        // -Dcopies=N: N distinct matrices multiplied in turn, so that the weights stream from memory as in decode
        Matrix[] ws = new Matrix[Integer.getInteger("copies", 1)];
        for (int c = 0; c < ws.length; c++) ws[c] = Matrix.of(Tensor.of("w", type, v, rows, cols));
        Matrix w = ws[0];
        Q8Input a = Q8Input.of(type, xn, n, cols);
        float[] ref = new float[n * rows], out = new float[n * rows];
        MatMul.quantizedRowsTimesTokens(w, 0, rows, a, n, ref, rows, 0);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        StringBuilder line = new StringBuilder(
                variant + " " + type + " " + rows + "x" + cols + " × " + n + " tokens, GB/s of blocks per CPU second:");
        for (int round = 0; round < rounds; round++) {
            int reps = 50;
            long c0 = mx.getCurrentThreadCpuTime();
            for (int r = 0; r < reps; r++) run(variant, ws[r % ws.length], a, out);
            double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / reps;
            line.append(String.format(" %.2f", type.byteSize((long) rows * cols) / cpu / 1e9));
        }
        double err = 0, scale = 0;
        for (int r = 0; r < n * rows; r++) {
            err = Math.max(err, Math.abs(out[r] - ref[r]));
            scale = Math.max(scale, Math.abs(ref[r]));
        }
        System.out.println(line + String.format("  (max |diff| against vector %.3g of %.3g)", err, scale));
        System.exit(0);
    }

    /**
     * {@code -Dmodel=FILE.gguf}: every quantized matrix of the file (memory-mapped, as the engine reads it) times one
     * token, in file order, the way a decode step streams them; against {@code copies} of a 2816×1024 matrix in
     * allocated memory when VARIANT is {@code vector} and {@code -Dcopies} is set.
     */
    private static void model(String variant, java.nio.file.Path path, int rounds) throws Throwable {
        try (dev.veil.model.ModelFiles files = dev.veil.model.ModelFiles.open(path)) {
            java.util.List<Matrix> ms = new java.util.ArrayList<>();
            for (String name : new java.util.TreeSet<>(files.weights().names())) {
                Tensor t = files.weights().get(name);
                if (!t.dtype().isQuantized() || t.rows() <= 1) continue;
                Matrix m = Matrix.of(t);
                String copy = System.getProperty("copy", "no"); // no, anon, huge: the weights copied out of the map
                if (!copy.equals("no")) {
                    long size = m.data().byteSize();
                    MemorySegment seg = java.lang.foreign.Arena.global().allocate(size, 2 << 20);
                    if (copy.equals("huge")) madviseHuge(seg);
                    seg.copyFrom(m.data());
                    m = new Matrix(m.name(), seg, m.dtype(), m.rows(), m.cols());
                }
                ms.add(m);
            }
            long bytes = 0;
            int maxCols = 0;
            for (Matrix m : ms) {
                bytes += m.dtype().byteSize((long) m.rows() * m.cols());
                maxCols = Math.max(maxCols, m.cols());
            }
            SplittableRandom rnd = new SplittableRandom(1);
            float[] x = new float[maxCols], out = new float[32768];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            StringBuilder line = new StringBuilder(path.getFileName() + ": " + ms.size() + " matrices, "
                    + bytes / 1_000_000 + " MB, one token, GB/s of blocks per CPU second:");
            java.util.Map<DType, long[]> perType = new java.util.TreeMap<>(); // bytes, CPU nanoseconds
            for (int round = 0; round < rounds; round++) {
                long c0 = mx.getCurrentThreadCpuTime();
                for (int rep = 0; rep < 5; rep++)
                    for (Matrix m : ms) {
                        long m0 = mx.getCurrentThreadCpuTime();
                        Q8Input a = Q8Input.of(m.dtype(), java.util.Arrays.copyOf(x, m.cols()), 1, m.cols());
                        MatMul.quantizedRowsTimesTokens(m, 0, m.rows(), a, 1, out, m.rows(), 0);
                        if (round >= rounds / 2) {
                            long[] acc = perType.computeIfAbsent(m.dtype(), k -> new long[2]);
                            acc[0] += m.dtype().byteSize((long) m.rows() * m.cols());
                            acc[1] += mx.getCurrentThreadCpuTime() - m0;
                        }
                    }
                double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / 5;
                line.append(String.format(" %.2f", bytes / cpu / 1e9));
            }
            System.out.println(line);
            perType.forEach((t, acc) -> System.out.printf(
                    "  %s: %.0f%% of the bytes, %.2f GB/s per CPU second (second half of the rounds)%n",
                    t,
                    100.0
                            * acc[0]
                            / (perType.values().stream().mapToLong(v -> v[0]).sum()),
                    acc[0] / (double) acc[1]));
        }
        System.exit(0);
    }

    /** madvise(MADV_HUGEPAGE): transparent huge pages are "madvise" only on this host. */
    private static void madviseHuge(MemorySegment seg) throws Throwable {
        var linker = java.lang.foreign.Linker.nativeLinker();
        var madvise = linker.downcallHandle(
                linker.defaultLookup().find("madvise").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        int rc = (int) madvise.invokeExact(seg, seg.byteSize(), 14);
        if (rc != 0) throw new IllegalStateException("madvise failed");
    }

    private static final Parallel PARALLEL = new Parallel(1);

    private static void run(String variant, Matrix w, Q8Input a, float[] out) {
        if (variant.startsWith("madd") || variant.equals("reduce"))
            if (w.dtype() != DType.Q8_0 || a.n() != 1)
                throw new IllegalArgumentException(variant + " is written for Q8_0 and one token");
        switch (variant) {
            case "vector" -> MatMul.quantizedRowsTimesTokens(w, 0, w.rows(), a, a.n(), out, w.rows(), 0);
            case "tiled" -> TiledRows.multiply(w, 0, w.rows(), a.dequantized(), a.n(), out, w.rows(), 0);
            case "gemm" -> {
                Gemm.Tokens packed = Gemm.Tokens.pack(PARALLEL, a.dequantized(), a.n(), w.cols());
                Gemm.multiply(w, 0, w.rows(), packed, out, w.rows(), 0);
            }
            case "madd" -> madd(w, a, out);
            case "madd4" -> madd4(w, a, out);
            case "reduce" -> reduce(w, a, out);
            default -> throw new IllegalArgumentException(variant);
        }
    }

    /** Row {@code r}'s 32-blocks widened to shorts into {@code ws[o ..]}. */
    private static void widen(MemorySegment s, long row, int blocks, short[] ws, int o) {
        for (int b = 0; b < blocks; b++)
            for (int j = 0; j < 32; j += 2 * L)
                ByteVector.fromMemorySegment(BS, s, row + b * 34L + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, S, 0)
                        .reinterpretAsShorts()
                        .intoArray(ws, o + 32 * b + j);
    }

    /** The pair products, {@code p[i] = w[2i]·q[2i] + w[2i+1]·q[2i+1]}: the shape C2 turns into MulAddVS2VI. */
    private static void pairs(short[] ws, short[] q, int[] p, int n) {
        for (int i = 0; i < n; i++) p[i] = ws[2 * i] * q[2 * i] + ws[2 * i + 1] * q[2 * i + 1];
    }

    private static void pairs4(short[] ws, int cols, short[] q, int[] p, int n) {
        for (int i = 0; i < n; i++) {
            int q0 = q[2 * i], q1 = q[2 * i + 1];
            p[i] = ws[2 * i] * q0 + ws[2 * i + 1] * q1;
            p[n + i] = ws[cols + 2 * i] * q0 + ws[cols + 2 * i + 1] * q1;
            p[2 * n + i] = ws[2 * cols + 2 * i] * q0 + ws[2 * cols + 2 * i + 1] * q1;
            p[3 * n + i] = ws[3 * cols + 2 * i] * q0 + ws[3 * cols + 2 * i + 1] * q1;
        }
    }

    /** Sixteen pair sums per block, each block's scaled into one accumulator. */
    private static float blocks(MemorySegment s, long row, int blocks, int[] p, int po, float[] d, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            IntVector blk = IntVector.fromArray(I, p, po + 16 * b);
            for (int j = L; j < 16; j += L) blk = blk.add(IntVector.fromArray(I, p, po + 16 * b + j));
            acc = ((FloatVector) blk.convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(I16, row + b * 34L)) * d[b]), acc);
        }
        acc.intoArray(lanes, 0);
        float sum = 0;
        for (float v : lanes) sum += v;
        return sum;
    }

    private static void madd(Matrix w, Q8Input a, float[] out) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / 32;
        short[] ws = new short[cols], q = a.qs();
        int[] p = new int[cols / 2];
        float[] lanes = new float[L];
        for (int r = 0; r < w.rows(); r++) {
            long row = (long) r * blocks * 34;
            widen(s, row, blocks, ws, 0);
            pairs(ws, q, p, cols / 2);
            out[r] = blocks(s, row, blocks, p, 0, a.d(), lanes);
        }
    }

    private static void madd4(Matrix w, Q8Input a, float[] out) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / 32;
        short[] ws = new short[4 * cols], q = a.qs();
        int[] p = new int[2 * cols];
        float[] lanes = new float[L];
        for (int r = 0; r < w.rows(); r += 4) {
            long row = (long) r * blocks * 34;
            for (int j = 0; j < 4; j++) widen(s, row + j * blocks * 34L, blocks, ws, j * cols);
            pairs4(ws, cols, q, p, cols / 2);
            for (int j = 0; j < 4; j++)
                out[r + j] = blocks(s, row + j * blocks * 34L, blocks, p, j * cols / 2, a.d(), lanes);
        }
    }

    private static void reduce(Matrix w, Q8Input a, float[] out) {
        MemorySegment s = w.data();
        int cols = w.cols(), blocks = cols / 32;
        short[] ws = new short[cols], q = a.qs();
        float[] d = a.d();
        for (int r = 0; r < w.rows(); r++) {
            long row = (long) r * blocks * 34;
            widen(s, row, blocks, ws, 0);
            float acc = 0;
            for (int b = 0; b < blocks; b++) {
                int sum = 0, o = 32 * b;
                for (int j = 0; j < 32; j += 2) sum += ws[o + j] * q[o + j] + ws[o + j + 1] * q[o + j + 1];
                acc += sum * (Float.float16ToFloat(s.get(I16, row + b * 34L)) * d[b]);
            }
            out[r] = acc;
        }
    }
}
