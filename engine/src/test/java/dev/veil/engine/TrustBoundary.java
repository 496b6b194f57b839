package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;

/**
 * What an untrusted side's trust-boundary test checks (the server's and the cloud's): what actually got onto its
 * (test) classpath, behind the enforcer rule that stops such a dependency at build time.
 */
public final class TrustBoundary {

    private TrustBoundary() {}

    /** None of {@code classes} can be loaded. */
    public static void assertNotLoadable(String... classes) {
        for (String cls : classes)
            assertThatThrownBy(() -> Class.forName(cls)).as(cls).isInstanceOf(ClassNotFoundException.class);
    }

    /** No classpath entry contains any of {@code modules} (a module's build folder or its artifact name). */
    public static void assertNotOnClasspath(String... modules) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String e = entry.replace('\\', '/');
            for (String m : modules) assertThat(e).as("classpath entry").doesNotContain(m);
        }
    }
}
