package dev.veil.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The trust boundary is enforced by maven-enforcer's bannedDependencies rules; a rule naming an artifact that does not
 * exist bans nothing and passes silently (talaria-cloud once banned {@code veil-serve}, not {@code veil-server}).
 * Every Veil artifact a rule names must be a module of this build.
 */
class BuildRulesTest {
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>(veil-[^<]+)</artifactId>");
    private static final Pattern BANNED = Pattern.compile("<exclude>dev\\.veil:([^:<]+)");

    @Test
    void everyBannedArtifactIsAModuleOfThisBuild() throws IOException {
        Path repo = Path.of(System.getProperty("veil.repo"));
        Set<String> artifacts = new TreeSet<>();
        List<Path> poms = new ArrayList<>();
        for (String module : all(MODULE, Files.readString(repo.resolve("pom.xml")))) {
            Path pom = repo.resolve(module).resolve("pom.xml");
            poms.add(pom);
            String text = Files.readString(pom).replaceAll("(?s)<parent>.*?</parent>", "");
            artifacts.add(first(ARTIFACT, text)); // the module's own artifactId is the first one outside <parent>
        }
        int rules = 0;
        for (Path pom : poms)
            for (String banned : all(BANNED, Files.readString(pom))) {
                rules++;
                assertThat(artifacts)
                        .as("%s bans dev.veil:%s", repo.relativize(pom), banned)
                        .contains(banned);
            }
        assertThat(rules).as("banned Veil artifacts found in the module poms").isGreaterThanOrEqualTo(10);
        try (Stream<Path> s = Files.list(repo)) { // and no module directory is left out of the build
            assertThat(s.filter(d -> Files.isRegularFile(d.resolve("pom.xml")) && !d.equals(repo))
                            .count())
                    .isEqualTo(poms.size());
        }
    }

    @Test
    void theTalariaClientIsKeptOffWeightIo() throws IOException {
        // The client's only guard against holding weights is its module graph: the description (model-config) and the
        // weight-free forward pass (engine-core) on its classpath, weight I/O (model) and the local backend (engine)
        // banned transitively outside test scope. Dropping one of these excludes would pass every other check.
        String pom = Files.readString(Path.of(System.getProperty("veil.repo"), "talaria-client", "pom.xml"));
        for (String banned : List.of("veil-model", "veil-engine", "veil-talaria-cloud", "veil-talaria-authority"))
            for (String scope : List.of("compile", "runtime", "provided"))
                assertThat(pom).contains("<exclude>dev.veil:" + banned + ":*:*:" + scope + "</exclude>");
        assertThat(pom)
                .contains("<artifactId>veil-model-config</artifactId></dependency>")
                .contains("<artifactId>veil-engine-core</artifactId></dependency>")
                .contains("<searchTransitive>true</searchTransitive>");
    }

    private static List<String> all(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    private static String first(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find())
            throw new AssertionError("no veil-* artifactId in " + text.substring(0, Math.min(200, text.length())));
        return m.group(1);
    }
}
