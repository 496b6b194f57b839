package dev.veil.cli;

import dev.veil.engine.kernel.Parallel;
import picocli.CommandLine.Option;

/** {@code --threads} of the services that run the kernels ({@code serve}, {@code talaria cloud}). */
final class KernelThreads {

    @Option(names = "--threads", paramLabel = "N", description = "kernel threads (default: one per processor)")
    Integer threads;

    /** The kernels' threads: the shared pool (one per processor), or a pool of {@code --threads}. */
    Parallel parallel() {
        return threads == null ? Parallel.shared() : new Parallel(threads);
    }
}
