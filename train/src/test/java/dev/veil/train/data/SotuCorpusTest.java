package dev.veil.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SotuCorpusTest {

    @Test
    void splitsTheVerifiedAddressesByYear(@TempDir Path cache) throws IOException {
        Map<Split, List<Document>> splits = SotuCorpus.split(Fixtures.sotuPackage(), cache);

        List<Document> train = splits.get(Split.TRAIN);
        List<Document> heldout = splits.get(Split.HELDOUT);
        assertThat(train).hasSize(211);
        assertThat(heldout).hasSize(22);
        assertThat(train.getFirst().id()).isEqualTo("1790_george_washington_n");
        assertThat(train.getFirst().text()).startsWith("Fellow-Citizens of the Senate and House of Representatives:");
        assertThat(train.getLast().id()).startsWith("1999_");
        assertThat(heldout.getFirst().id()).startsWith("2000_");
        assertThat(heldout.getLast().id()).isEqualTo("2021_joseph_r_biden_d");
        // the files on disk hold exactly what was returned
        assertThat(Split.TRAIN.read(cache)).isEqualTo(train);
        assertThat(Split.HELDOUT.read(cache)).isEqualTo(heldout);
    }

    @Test
    void anAlteredAddressIsRefusedAndTheOldSplitsAreKept(@TempDir Path tmp) throws IOException {
        Path pkg = tmp.resolve("pkg");
        copyTree(Fixtures.sotuPackage().resolve("data"), pkg.resolve("data"));
        Files.writeString(pkg.resolve("data/1861_abraham_lincoln_r.txt"), "altered", StandardOpenOption.APPEND);
        Path cache = tmp.resolve("cache");
        Files.createDirectories(Split.TRAIN.path(cache).getParent());
        Files.writeString(Split.TRAIN.path(cache), "previous\n");

        assertThatThrownBy(() -> SotuCorpus.split(pkg, cache))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("1861_abraham_lincoln_r.txt")
                .hasMessageContaining("does not match")
                .hasMessageContaining("veil data fetch sotu");
        assertThat(Files.readString(Split.TRAIN.path(cache))).isEqualTo("previous\n");
        assertThat(Files.exists(Split.HELDOUT.path(cache))).isFalse();
    }

    @Test
    void aMissingAddressIsRefused(@TempDir Path tmp) throws IOException {
        Path pkg = tmp.resolve("pkg");
        copyTree(Fixtures.sotuPackage().resolve("data"), pkg.resolve("data"));
        Files.delete(pkg.resolve("data/2021_joseph_r_biden_d.txt"));

        assertThatThrownBy(() -> SotuCorpus.split(pkg, tmp.resolve("cache")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("2021_joseph_r_biden_d.txt: missing");
    }

    @Test
    void aSplitNotYetFetchedNamesTheCommand(@TempDir Path cache) {
        assertThatThrownBy(() -> Split.HELDOUT.read(cache))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("veil data fetch sotu");
        assertThatThrownBy(() -> Split.OUT_OF_DOMAIN.read(cache))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("veil data fetch fortunes");
    }

    static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".txt")).toList())
                Files.copy(f, to.resolve(f.getFileName()));
        }
    }
}
