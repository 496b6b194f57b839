package dev.veil.cli;

import dev.veil.engine.kernel.Parallel;
import picocli.CommandLine.Option;

/**
 * {@code --threads} of every command that runs the kernels here ({@code generate}, {@code eval}, {@code serve},
 * {@code talaria cloud}): 0, the default, is the shared pool of one thread per processor.
 */
final class KernelThreads {

    @Option(
            names = "--threads",
            defaultValue = "0",
            paramLabel = "N",
            description = "kernel threads; 0 = one per processor (default: ${DEFAULT-VALUE})")
    int threads;

    /** The kernels' threads: the shared pool, or a pool of {@code --threads} that its user closes. */
    Parallel parallel() {
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        return threads == 0 ? Parallel.shared() : new Parallel(threads);
    }
}
