package dev.veil.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Writes a serving benchmark's result as {@code NAME.json} and a readable {@code NAME.md} under a results directory. */
final class BenchResults {

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

    static void write(Path dir, String name, Object result, String markdown) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", name);
        json.put("machine", machine());
        json.put("result", result);
        Files.writeString(dir.resolve(name + ".json"), JSON.writeValueAsString(json) + "\n");
        Files.writeString(dir.resolve(name + ".md"), markdown + footer());
    }
}
