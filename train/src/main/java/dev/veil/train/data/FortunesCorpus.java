package dev.veil.train.data;

import dev.veil.train.io.Processes;
import dev.veil.train.io.Sha256Manifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's {@code fortunes} package, the out-of-domain text. The .deb is downloaded with {@code apt-get download}
 * (never installed), checked against the committed manifest, and its fortune files are read straight from the
 * archive: an {@code ar} archive whose {@code data.tar.xz} member {@code tar} unpacks.
 */
public final class FortunesCorpus {
    public static final String PACKAGE_VERSION = "1:1.99.1-7.3";
    static final String DEB = "fortunes_1.99.1-7.3_all.deb";
    private static final String FORTUNES_DIR = "usr/share/games/fortunes";

    private FortunesCorpus() {}

    public static List<Document> fetch(Path cache) throws IOException {
        return fetch(cache, "fortunes=" + PACKAGE_VERSION);
    }

    /** {@code aptSpec} is what {@code apt-get download} is asked for (tests ask for one that does not exist). */
    static List<Document> fetch(Path cache, String aptSpec) throws IOException {
        Path deb = cache.resolve("downloads").resolve(DEB);
        if (!Files.isRegularFile(deb)) download(aptSpec, deb);
        return read(deb, cache);
    }

    /** Verifies {@code deb}, unpacks its fortune files and writes the out-of-domain split. */
    static List<Document> read(Path deb, Path cache) throws IOException {
        Sha256Manifest manifest = Sha256Manifest.resource("fortunes.sha256");
        try {
            manifest.verify(deb, DEB);
        } catch (IOException e) {
            throw new IOException(
                    "fortunes: " + e.getMessage() + "; delete it and run `veil data fetch fortunes` again");
        }
        Path tmp = Files.createTempDirectory("veil-fortunes-");
        try {
            byte[] dataTar = ArArchive.member(Files.readAllBytes(deb), "data.tar.xz", deb);
            Processes.run(tmp, List.of("tar", "xJf", "-", "./" + FORTUNES_DIR), new ByteArrayInputStream(dataTar));
            Path dir = tmp.resolve(FORTUNES_DIR);
            List<Document> docs = new ArrayList<>();
            for (String entry : manifest.digests().keySet()) {
                if (entry.equals(DEB)) continue;
                manifest.verify(dir.resolve(entry), entry);
                docs.addAll(parse(entry, Files.readString(dir.resolve(entry), StandardCharsets.UTF_8)));
            }
            Documents.write(Split.OUT_OF_DOMAIN.path(cache), docs);
            return docs;
        } finally {
            SotuCorpus.deleteTree(tmp);
        }
    }

    /** A fortune file holds fortunes separated by lines that are just {@code %}. */
    static List<Document> parse(String file, String text) {
        List<Document> docs = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : (text + "\n%").lines().toList()) {
            if (line.equals("%")) {
                String fortune = cur.toString().strip();
                if (!fortune.isEmpty()) docs.add(new Document(file + "#" + (docs.size() + 1), fortune));
                cur.setLength(0);
            } else {
                cur.append(line).append('\n');
            }
        }
        return docs;
    }

    private static void download(String aptSpec, Path deb) throws IOException {
        Files.createDirectories(deb.getParent());
        Path tmp = Files.createTempDirectory(deb.getParent(), ".fortunes-");
        try {
            List<String> cmd = List.of("apt-get", "download", aptSpec);
            try {
                Processes.run(tmp, cmd);
            } catch (IOException first) {
                if (!first.getMessage().contains("Unable to locate package")) throw first;
                // a fresh container has no package lists yet: fetch them once, then try again
                Processes.run(tmp, List.of("apt-get", "update"));
                Processes.run(tmp, cmd);
            }
            try (var files = Files.list(tmp)) {
                Path got = files.filter(p -> p.getFileName().toString().endsWith(".deb"))
                        .findFirst()
                        .orElseThrow(() -> new IOException("`apt-get download " + aptSpec + "` wrote no .deb"));
                Files.move(got, deb);
            }
        } catch (IOException e) {
            throw new IOException("fortunes: cannot download the Debian package " + aptSpec + ": " + e.getMessage());
        } finally {
            SotuCorpus.deleteTree(tmp);
        }
    }
}
