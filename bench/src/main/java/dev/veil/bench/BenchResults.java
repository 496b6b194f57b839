package dev.veil.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a benchmark's result as {@code NAME.json} and a readable {@code NAME.md} under a results directory: the one
 * writer of every {@code veil bench} report.
 */
public final class BenchResults {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchResults() {}

    /** The machine the numbers come from: they are only comparable on the same one. */
    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("processors", Runtime.getRuntime().availableProcessors());
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("when", Instant.now().toString());
        m.put("loadAverage1m", loadAverage());
        return m;
    }

    /** The system's 1-minute load average: above the processor count, other work was competing and the numbers are noisy. */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** The line every markdown result ends with: where and under what load it ran. */
    static String footer() {
        return String.format(
                Locale.ROOT,
                "%nMeasured on %d processors, 1-minute load average %.1f at the end (%s).%n",
                Runtime.getRuntime().availableProcessors(),
                loadAverage(),
                Instant.now());
    }

    /** {@code PREFIX-yyyy-MM-ddTHHmmss} (UTC): a dated report's name, so that a rerun keeps the earlier reports. */
    public static String dated(String prefix) {
        return prefix + "-"
                + DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmmss")
                        .withZone(ZoneOffset.UTC)
                        .format(Instant.now());
    }

    /**
     * Writes {@code report} (which records its own machine and settings) as {@code PREFIX-<date>.json} and
     * {@code markdown} as {@code .md} under {@code dir}; returns the markdown's path.
     */
    public static Path writeDated(Path dir, String prefix, Object report, String markdown) throws IOException {
        return writeFiles(dir, dated(prefix), report, markdown);
    }

    /**
     * Writes {@code result} under this machine's description ({@link #machine}) as {@code NAME.json}, and
     * {@code markdown} with the load it ran under ({@link #footer}) as {@code NAME.md}; returns the markdown's path.
     */
    static Path write(Path dir, String name, Object result, String markdown) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", name);
        json.put("machine", machine());
        json.put("result", result);
        return writeFiles(dir, name, json, markdown + footer());
    }

    private static Path writeFiles(Path dir, String name, Object json, String markdown) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".json"), JSON.writeValueAsString(json) + "\n");
        Path md = dir.resolve(name + ".md");
        Files.writeString(md, markdown);
        return md;
    }
}
