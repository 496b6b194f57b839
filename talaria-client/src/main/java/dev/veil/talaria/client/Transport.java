package dev.veil.talaria.client;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 exchanges with the cloud. Two implementations speak the same bytes to the same server:
 * {@link JdkHttpTransport} (java.net.http.HttpClient) and {@link SocketTransport} (a small blocking client on
 * keep-alive sockets that does the whole exchange on the caller's thread — fewer thread hand-offs per round trip,
 * which is most of a round trip's cost on loopback; docs/talaria.md has the measurements).
 */
public interface Transport extends AutoCloseable {

    /** A reply: status, headers (names lower-cased), body. */
    record Reply(int status, Map<String, String> headers, byte[] body) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    /**
     * {@code GET} ({@code body == null}) or {@code POST} of {@code body} to {@code path} on the cloud. The cloud is
     * untrusted: a reply body over {@code maxReplyBytes} is refused ({@link TalariaException}) before it is read.
     */
    Reply exchange(String path, Map<String, String> headers, byte[] body, int maxReplyBytes)
            throws IOException, InterruptedException;

    /** A reply larger than the caller said it can be. */
    static TalariaException tooLarge(String path, long bytes, int max) {
        return new TalariaException("the cloud's reply to " + path + " has " + bytes + " bytes, more than the " + max
                + " it can need: refused");
    }

    @Override
    void close();

    enum Kind {
        JDK,
        SOCKET;

        public Transport open(URI base) {
            return this == JDK ? new JdkHttpTransport(base) : new SocketTransport(base);
        }
    }
}
