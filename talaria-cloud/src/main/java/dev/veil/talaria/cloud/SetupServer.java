package dev.veil.talaria.cloud;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.talaria.protocol.SetupRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The setup authority as a service: {@code POST /v1/talaria/setup} with a {@link SetupRequest} (JSON) answers the
 * session's {@link dev.veil.talaria.protocol.SetupBundle} as a V2 binary body. Run by the model vendor apart from the
 * cloud, behind TLS or an attested channel in production: the request carries the session's secret seed.
 */
public final class SetupServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SetupServer.class.getName());

    static {
        // The JDK server leaves Nagle's algorithm on by default: a reply written as headers then body would wait for
        // the client's delayed ACK. Read once, when the first HttpServer starts.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    public static final String PATH = "/v1/talaria/setup";

    private final SetupAuthority authority;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong sessions = new AtomicLong();

    private SetupServer(SetupAuthority authority, String host, int port) throws IOException {
        this.authority = authority;
        http = HttpServer.create(new InetSocketAddress(host, port), 64);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    public static SetupServer start(SetupAuthority authority, String host, int port) throws IOException {
        SetupServer s = new SetupServer(authority, host, port);
        s.http.start();
        LOG.log(System.Logger.Level.INFO, "talaria setup authority on {0}", s.uri());
        return s;
    }

    public URI uri() {
        return URI.create("http://" + http.getAddress().getHostString() + ":" + http.getAddress().getPort());
    }

    /** Setups answered. */
    public long sessions() {
        return sessions.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                if (!ex.getRequestMethod().equals("POST") || !ex.getRequestURI().getPath().equals(PATH))
                    throw new Exchanges.HttpError(404, ex.getRequestMethod() + " " + ex.getRequestURI().getPath()
                            + " is not an endpoint of the setup authority (POST " + PATH + ")");
                SetupRequest req = SetupRequest.fromJson(Exchanges.body(ex, 1 << 16));
                Exchanges.sendBinary(ex, authority.compute(req).encode());
                sessions.incrementAndGet();
            } catch (Exchanges.HttpError e) {
                Exchanges.sendError(ex, e.status, e.getMessage());
            } catch (IllegalArgumentException e) {
                Exchanges.sendError(ex, 400, e.getMessage());
            } catch (RuntimeException | OutOfMemoryError e) {
                // Without this the JDK server drops the connection and the client only sees "no bytes".
                LOG.log(System.Logger.Level.WARNING, "setup failed: " + e);
                Exchanges.sendError(ex, 500, "the setup authority failed: " + e);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
