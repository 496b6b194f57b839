package dev.veil.engine;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelFiles;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Decode speed after prompts of different lengths (not a test), in CPU time so that the machine's load does not
 * enter: runs {@code spec} in order, each entry {@code LENGTHxREPEATS} (e.g. {@code 16x1,16x3,128x3}, the order of
 * {@code veil bench engine}), each repeat a greedy generation through the {@link Generator} (prefill the prompt into a
 * fresh cache, then {@code decode} single-token steps), and prints per generation: decode rate by wall and by the
 * decoding thread's CPU time, the median step's CPU time, and what else the JVM did meanwhile (CPU of all other
 * threads, JIT compile time, GC pauses, bytes allocated). Run from the repository root after
 * {@code mvn -pl engine -am test-compile} (jackson on the class path):
 * <pre>java --add-modules jdk.incubator.vector -cp ... dev.veil.engine.DecodeAfterPrompt MODEL [threads] [spec] [decode]</pre>
 */
public final class DecodeAfterPrompt {

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String[] spec = (args.length > 2 ? args[2] : "16x1,16x3,128x3").split(",");
        int decode = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var jit = ManagementFactory.getCompilationMXBean();
        try (ModelFiles files = ModelFiles.open(model);
                Parallel p = new Parallel(threads)) {
            Transformer t = new Transformer(new LocalLinearBackend(files.config(), files.weights(), p), p);
            int vocab = files.config().vocabSize();
            if (spec[0].startsWith("interleave")) {
                interleave(t, vocab, Arrays.copyOfRange(spec, 1, spec.length), decode, mx);
                return;
            }
            for (String entry : spec) {
                String[] parts = entry.split("x");
                int n = Integer.parseInt(parts[0]), repeats = parts.length > 1 ? Integer.parseInt(parts[1]) : 1;
                int[] prompt = new SplittableRandom(1234).ints(n, 0, vocab).toArray();
                for (int r = 0; r < repeats; r++) {
                    KvCache cache = t.newCache();
                    long c0 = mx.getCurrentThreadCpuTime();
                    float[] logits = t.forward(prompt, cache);
                    long c1 = mx.getCurrentThreadCpuTime(), w1 = System.nanoTime();
                    long a1 = mx.getCurrentThreadAllocatedBytes(), p1 = os.getProcessCpuTime();
                    long j1 = jit.getTotalCompilationTime(), g1 = gcMillis();
                    long[] steps = new long[decode];
                    for (int i = 0; i < decode; i++) {
                        long s0 = mx.getCurrentThreadCpuTime();
                        logits = t.forward(new int[] {argmax(logits)}, cache);
                        steps[i] = mx.getCurrentThreadCpuTime() - s0;
                    }
                    long c2 = mx.getCurrentThreadCpuTime(), w2 = System.nanoTime();
                    long a2 = mx.getCurrentThreadAllocatedBytes(), p2 = os.getProcessCpuTime();
                    Arrays.sort(steps);
                    System.out.printf(
                            "prompt %3d: prefill %6.1f tok/s CPU | decode %5.2f tok/s CPU, %5.2f wall; step CPU median %.2f ms"
                                    + " | other threads %4d ms CPU, JIT %4d ms, GC %3d ms, %4d KB allocated/token%n",
                            n,
                            n / ((c1 - c0) / 1e9),
                            decode / ((c2 - c1) / 1e9),
                            decode / ((w2 - w1) / 1e9),
                            steps[decode / 2] / 1e6,
                            ((p2 - p1) - (c2 - c1)) / 1_000_000,
                            jit.getTotalCompilationTime() - j1,
                            gcMillis() - g1,
                            (a2 - a1) / 1024 / decode);
                }
            }
        }
    }

    /**
     * Decode steps alternating between caches holding the given prompt lengths (each truncated back after its step,
     * so every step of a cache sees the same context): the machine's load hits all of them alike, and the median of
     * each cache's step CPU times relative to the first cache's says what the context costs.
     */
    private static void interleave(
            Transformer t, int vocab, String[] lengths, int steps, com.sun.management.ThreadMXBean mx) {
        int k = lengths.length;
        KvCache[] caches = new KvCache[k];
        int[] n = new int[k];
        for (int i = 0; i < k; i++) {
            n[i] = Integer.parseInt(lengths[i]);
            caches[i] = t.newCache();
            t.append(new SplittableRandom(1234).ints(n[i], 0, vocab).toArray(), caches[i]);
        }
        long[][] cpu = new long[k][steps];
        long[] alloc = new long[k];
        for (int s = 0; s < steps; s++)
            for (int i = 0; i < k; i++) {
                long c0 = mx.getCurrentThreadCpuTime(), a0 = mx.getCurrentThreadAllocatedBytes();
                t.forward(new int[] {(s * 31 + i) % vocab}, caches[i]);
                cpu[i][s] = mx.getCurrentThreadCpuTime() - c0;
                alloc[i] += mx.getCurrentThreadAllocatedBytes() - a0;
                caches[i].truncate(n[i]);
            }
        for (int i = 0; i < k; i++) {
            double[] ratio = new double[steps];
            for (int s = 0; s < steps; s++) ratio[s] = (double) cpu[i][s] / cpu[0][s];
            Arrays.sort(ratio);
            long[] sorted = cpu[i].clone();
            Arrays.sort(sorted);
            System.out.printf(
                    "context %4d: step CPU median %.2f ms, min %.2f ms; median ratio to context %d: %.3f; %d KB allocated/step%n",
                    n[i], sorted[steps / 2] / 1e6, sorted[0] / 1e6, n[0], ratio[steps / 2], alloc[i] / 1024 / steps);
        }
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(b -> b.getCollectionTime())
                .sum();
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
