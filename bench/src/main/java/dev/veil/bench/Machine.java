package dev.veil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a benchmark ran on, so that results from different machines are never compared by accident.
 *
 * @param loadAverage the 1/5/15-minute load averages when the run started: other work on a shared machine
 */
public record Machine(String cpu, int cores, String jdk, String os, String loadAverage) {

    /**
     * The lines every benchmark report starts its list with: CPU and visible cores (then {@code coresNote}, e.g. the
     * threads used), JDK and OS, and the load average at the start when {@code withLoad}.
     */
    public String markdown(String coresNote, boolean withLoad) {
        String lines = "- CPU: " + cpu + ", " + cores + " cores visible" + coresNote + "\n- JDK: " + jdk + "; OS: " + os
                + "\n";
        return withLoad ? lines + "- load average at start (1/5/15 min): " + loadAverage + "\n" : lines;
    }

    public static Machine current() {
        return new Machine(
                cpuModel().orElse("unknown"),
                Runtime.getRuntime().availableProcessors(),
                Runtime.version().toString() + " (" + System.getProperty("java.vm.name") + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                readLoadAverage().orElse("unknown"));
    }

    /** The first three fields of /proc/loadavg (Linux). */
    static Optional<String> readLoadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return Optional.of(f[0] + " " + f[1] + " " + f[2]);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** "model name" from /proc/cpuinfo (Linux). */
    static Optional<String> cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
