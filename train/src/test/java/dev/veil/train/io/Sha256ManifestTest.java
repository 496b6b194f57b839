package dev.veil.train.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Sha256ManifestTest {

    @Test
    void parsesSha256sumOutput() throws IOException {
        String abc = Sha256.of("abc".getBytes());
        assertThat(abc).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        Sha256Manifest m = Sha256Manifest.parse("t.sha256", abc + "  data/a.txt\n" + abc + "  b\n");
        assertThat(m.digests()).containsExactly(Map.entry("data/a.txt", abc), Map.entry("b", abc));
    }

    @Test
    void aMalformedLineNamesTheManifestAndLine() {
        assertThatThrownBy(() -> Sha256Manifest.parse("t.sha256", "zz  file\n"))
                .isInstanceOf(IOException.class)
                .hasMessage("t.sha256:1: expected '<sha256 hex>  <file>'");
    }
}
