package dev.veil.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FortunesCorpusTest {

    @Test
    void fortunesAreSeparatedByPercentLines() {
        String file = "A penny saved.\n%\n\n  Two\nlines.\n%\n%\nLast one";
        assertThat(FortunesCorpus.parse("kids", file))
                .containsExactly(
                        new Document("kids#1", "A penny saved."),
                        new Document("kids#2", "Two\nlines."),
                        new Document("kids#3", "Last one"));
    }

    @Test
    void readsAMemberOfAnArArchive() throws IOException {
        byte[] deb =
                ar(new String[] {"debian-binary", "data.tar.xz"}, new byte[][] {"2.0\n".getBytes(), "odd".getBytes()});
        assertThat(new String(ArArchive.member(deb, "data.tar.xz", Path.of("x.deb"))))
                .isEqualTo("odd");
        assertThat(new String(ArArchive.member(deb, "debian-binary", Path.of("x.deb"))))
                .isEqualTo("2.0\n");
        assertThatThrownBy(() -> ArArchive.member(deb, "control.tar.xz", Path.of("x.deb")))
                .hasMessage("x.deb: no member control.tar.xz in the archive");
        assertThatThrownBy(() -> ArArchive.member("not a deb".getBytes(), "data.tar.xz", Path.of("x.deb")))
                .hasMessageContaining("x.deb: not an ar archive");
    }

    @Test
    void aPackageThatCannotBeDownloadedIsOneClearError(@TempDir Path cache) {
        assertThatThrownBy(() -> FortunesCorpus.fetch(cache, "fortunes=0:0.0-no-such-version"))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("fortunes: cannot download the Debian package fortunes=0:0.0-no-such-version");
        assertThat(Files.exists(Split.OUT_OF_DOMAIN.path(cache))).isFalse();
    }

    @Test
    void aDebThatIsNotTheManifestsIsRefused(@TempDir Path cache) throws IOException {
        Path deb = cache.resolve("downloads").resolve(FortunesCorpus.DEB);
        Files.createDirectories(deb.getParent());
        Files.write(deb, ar(new String[] {"debian-binary"}, new byte[][] {"2.0\n".getBytes()}));

        assertThatThrownBy(() -> FortunesCorpus.fetch(cache))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(FortunesCorpus.DEB)
                .hasMessageContaining("does not match");
        assertThat(Files.exists(Split.OUT_OF_DOMAIN.path(cache))).isFalse();
    }

    private static byte[] ar(String[] names, byte[][] members) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("!<arch>\n".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < names.length; i++) {
            String header = String.format(
                    "%-16s%-12s%-6s%-6s%-8s%-10d`\n", names[i], "0", "0", "0", "100644", members[i].length);
            out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(members[i]);
            if (members[i].length % 2 == 1) out.write('\n');
        }
        return out.toByteArray();
    }
}
