package dev.veil.engine.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Copies of weight segments in memory that Linux may back with 2 MiB transparent huge pages ({@code
 * madvise(MADV_HUGEPAGE)}, which the common THP setting "madvise" requires). Streaming a model's blocks once per
 * decoded token, the Q8_0 kernel read 11.7 GB/s per CPU second from the memory-mapped GGUF (4 KiB page-cache pages)
 * and 16.5 from such a copy (the 200M bench model, one thread; docs/quantization.md). Where madvise is missing or
 * native access is denied, the copy is still made, without the advice.
 *
 * <p>The advice alone came too late: the JDK zeroes a new segment, which faults every page in as 4 KiB before
 * {@code madvise} runs, and only khugepaged's slow background scan collapsed them later. A bench process holding the
 * 0.5B shape's 400 MB of tiles had 64 MB in huge pages, and decode speed depended on how long the process had run
 * (the 200M model's Q8_0 decode 75–116 tok/s between runs). Now {@link #allocate} maps fresh memory and advises it
 * before the first touch, and once the data is written {@link #collapse} asks for huge pages for whatever still has
 * small ones ({@code MADV_COLLAPSE}, Linux 6.1+; elsewhere a no-op).
 */
final class HugePages {
    private HugePages() {}

    private static final long HUGE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14, MADV_COLLAPSE = 25;
    private static final int PROT_READ_WRITE = 1 | 2, MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final MethodHandle MADVISE = linux(
            "madvise",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MMAP = linux(
            "mmap",
            FunctionDescriptor.of(
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP =
            linux("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    /** The C library's {@code name}, or null off Linux or where native access is denied. */
    private static MethodHandle linux(String name, FunctionDescriptor signature) {
        try {
            if (!System.getProperty("os.name", "").startsWith("Linux")) return null;
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup()
                    .find(name)
                    .map(f -> linker.downcallHandle(f, signature))
                    .orElse(null);
        } catch (RuntimeException e) { // IllegalCallerException: native access denied
            return null;
        }
    }

    /** A copy of {@code src} (2 MiB aligned from 2 MiB on, in huge pages where the kernel has them). */
    static MemorySegment copy(MemorySegment src) {
        MemorySegment dst = allocate(src.byteSize()).copyFrom(src);
        collapse(dst);
        return dst;
    }

    /**
     * Backs the whole 2 MiB pages of {@code written} (from {@link #allocate}, its data in place) with huge pages now.
     */
    static void collapse(MemorySegment written) {
        long whole = written.byteSize() / HUGE * HUGE;
        if (MADVISE == null || whole == 0) return;
        try {
            int ignored = (int) MADVISE.invokeExact(written, whole, MADV_COLLAPSE);
        } catch (Throwable e) {
            // advice only
        }
    }

    /**
     * Zeroed memory of {@code bytes} (2 MiB aligned and advised from 2 MiB on), freed when no longer reachable. On
     * Linux it is an anonymous mapping advised before anything touches it, so that the kernel faults it in as huge
     * pages, zeroed as it does any new page: the JDK's own allocation zeroes every byte first, 4 KiB page by page (on
     * the 0.5B shape's 400 MB of tiles, a third of a cold start's loading).
     */
    static MemorySegment allocate(long bytes) {
        boolean huge = bytes >= HUGE;
        if (huge && MMAP != null && MUNMAP != null && MADVISE != null) {
            MemorySegment mapped = mapAnonymous(bytes);
            if (mapped != null) return mapped;
        }
        MemorySegment dst = Arena.ofAuto().allocate(bytes, huge ? HUGE : 64);
        if (MADVISE != null && huge) {
            try {
                int ignored = (int) MADVISE.invokeExact(dst, dst.byteSize(), MADV_HUGEPAGE);
            } catch (Throwable e) {
                // advice only: without it the copy has ordinary pages
            }
        }
        return dst;
    }

    /**
     * {@code bytes} of a fresh private anonymous mapping from a 2 MiB boundary on, unmapped once unreachable; null if
     * mmap fails.
     */
    private static MemorySegment mapAnonymous(long bytes) {
        long size = bytes + HUGE; // room to start at a 2 MiB boundary
        try {
            MemorySegment base = (MemorySegment)
                    MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            long start = base.address();
            if (start == -1L) return null; // MAP_FAILED
            long aligned = (start + HUGE - 1) / HUGE * HUGE;
            MemorySegment region = MemorySegment.ofAddress(aligned).reinterpret(bytes);
            int ignored = (int) MADVISE.invokeExact(region, bytes, MADV_HUGEPAGE);
            return region.reinterpret(Arena.ofAuto(), unused -> unmap(start, size));
        } catch (Throwable e) {
            return null;
        }
    }

    private static void unmap(long start, long size) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(start), size);
        } catch (Throwable e) {
            // nothing to do: the process keeps the mapping
        }
    }
}
