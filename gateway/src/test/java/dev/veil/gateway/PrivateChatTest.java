package dev.veil.gateway;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** A test class that shares one default {@link PrivateChatFixture} (server and gateway) among its tests. */
abstract class PrivateChatTest {

    @TempDir
    static Path dir;

    static PrivateChatFixture chat;
    static URI gateway;

    @BeforeAll
    static void start() throws Exception {
        chat = PrivateChatFixture.start(dir);
        gateway = chat.gatewayUri();
    }

    @AfterAll
    static void stop() {
        chat.close();
    }
}
