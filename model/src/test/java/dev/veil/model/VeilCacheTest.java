package dev.veil.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VeilCacheTest {

    @Test
    void veilCacheWinsThenHomeThenUserHome() {
        assertEquals(Path.of("/c"), VeilCache.dir("/c", "/h", "/u"));
        assertEquals(Path.of("/h/.cache/veil"), VeilCache.dir(null, "/h", "/u"));
        assertEquals(Path.of("/h/.cache/veil"), VeilCache.dir(" ", "/h", "/u"));
        // the scripts read $HOME, so the JVM must too: user.home only when HOME is unset
        assertEquals(Path.of("/u/.cache/veil"), VeilCache.dir(null, "", "/u"));
    }

    @Test
    void theScriptsUseTheSameRule() throws Exception {
        // a new user with HOME elsewhere fetched into one folder and tested against another: keep them in step
        for (String script : new String[] {"scripts/fetch-fixtures.sh", "scripts/bench-train.sh"}) {
            String text = Files.readString(Path.of(System.getProperty("veil.repo"), script));
            assertTrue(text.contains("CACHE=\"${VEIL_CACHE:-$HOME/.cache/veil}\""), script);
        }
    }

    @Test
    void aMissingFixtureNamesItselfAndTheFix(@TempDir Path dir) {
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> VeilCache.require(dir, "x/y.gguf", "a vocab"));
        assertTrue(e.getMessage().contains("x/y.gguf") && e.getMessage().contains("fetch-fixtures"), e.getMessage());
    }
}
