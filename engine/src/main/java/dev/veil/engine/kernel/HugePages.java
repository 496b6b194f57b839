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
 */
final class HugePages {
    private HugePages() {}

    private static final long HUGE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle MADVISE = madvise();

    private static MethodHandle madvise() {
        try {
            if (!System.getProperty("os.name", "").startsWith("Linux")) return null;
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup()
                    .find("madvise")
                    .map(f -> linker.downcallHandle(
                            f,
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException e) { // IllegalCallerException: native access denied
            return null;
        }
    }

    /** A copy of {@code src} (2 MiB aligned from 2 MiB on), freed when no longer reachable. */
    static MemorySegment copy(MemorySegment src) {
        return allocate(src.byteSize()).copyFrom(src);
    }

    /** Zeroed memory of {@code bytes} (2 MiB aligned and advised from 2 MiB on), freed when no longer reachable. */
    static MemorySegment allocate(long bytes) {
        boolean huge = bytes >= HUGE;
        MemorySegment dst = Arena.ofAuto().allocate(bytes, huge ? HUGE : 64);
        if (MADVISE != null && huge) {
            try {
                int ignored = (int) MADVISE.invokeExact(dst, Math.ceilDiv(dst.byteSize(), HUGE) * HUGE, MADV_HUGEPAGE);
            } catch (Throwable e) {
                // advice only: without it the copy has ordinary pages
            }
        }
        return dst;
    }
}
