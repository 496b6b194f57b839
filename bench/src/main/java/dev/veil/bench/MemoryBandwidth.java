package dev.veil.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures sustained DRAM read bandwidth the way decode uses memory: {@code threads} threads each stream their
 * share of a buffer far larger than the caches, summing it with SIMD loads. The bandwidth bound of decode is this
 * number divided by the weight bytes each token reads.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private MemoryBandwidth() {}

    /** Best of {@code repeats} passes over {@code bytes} bytes, in bytes per second. */
    public static double measure(long bytes, int threads, int repeats) throws InterruptedException {
        long chunk = (bytes / threads) / F.vectorByteSize() / 4 * F.vectorByteSize() * 4;
        try (Arena arena = Arena.ofShared();
                ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment buffer = arena.allocate(chunk * threads, 4096);
            fill(buffer, pool, threads, chunk);
            double best = 0;
            double sink = 0;
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                List<Future<Float>> parts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    MemorySegment slice = buffer.asSlice(t * chunk, chunk);
                    parts.add(pool.submit(() -> sum(slice)));
                }
                for (Future<Float> f : parts) sink += get(f);
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, chunk * threads / seconds);
            }
            if (Double.isNaN(sink)) throw new AssertionError("unreachable: keeps the sums alive");
            return best;
        }
    }

    /** Writes every page so the reads hit real memory, not the shared zero page. */
    private static void fill(MemorySegment buffer, ExecutorService pool, int threads, long chunk)
            throws InterruptedException {
        List<Future<Float>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            MemorySegment slice = buffer.asSlice(t * chunk, chunk);
            parts.add(pool.submit(() -> {
                slice.fill((byte) 0x3c);
                return 0f;
            }));
        }
        for (Future<Float> f : parts) get(f);
    }

    /** Four independent accumulators so the loop is bound by loads, not by the add latency. */
    private static float sum(MemorySegment s) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long step = F.vectorByteSize();
        for (long off = 0; off < s.byteSize(); off += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, s, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, s, off + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, s, off + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, s, off + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    private static float get(Future<Float> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("bandwidth kernel failed", e.getCause());
        }
    }
}
