package dev.veil.talaria.authority;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.veil.talaria.cloud.Exchanges;
import dev.veil.talaria.cloud.Exchanges.HttpError;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.SetupRequest;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The setup authority as a service: {@code POST /v1/talaria/setup} with a {@link SetupRequest} (JSON) and
 * {@code Authorization: Bearer <token>} answers the session's {@link dev.veil.talaria.protocol.SetupBundle} as a V2
 * binary body. Run by the model vendor apart from the cloud; the request carries the session's secret seed, so the
 * server refuses to listen beyond loopback without TLS, and never logs a token or a seed.
 *
 * <p>In order, before any work: 404/405 for another path or method, 401 without a known token, 429 over the client's
 * setups per minute, 413 for a body over {@value #MAX_BODY} bytes (read no further), 400 for a malformed request or a
 * bundle over {@link Options#maxBundleBytes}, 403 when the bundle would take the client over its {@link RowBudget} on
 * any product, 503 (Retry-After) when {@link Options#maxConcurrent} setups are computing and none ends within
 * {@link Options#queueWait}. Memory: at most maxConcurrent bundles are held at once, each twice (the float material,
 * then its encoded reply), so the server needs the folded F32 model plus maxConcurrent × 2 × maxBundleBytes.
 */
public final class SetupServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SetupServer.class.getName());

    static {
        // The JDK server leaves Nagle's algorithm on by default: a reply written as headers then body would wait for
        // the client's delayed ACK. A request (headers and body) must arrive within 30 s, so a client that trickles
        // bytes cannot hold a connection open. Both are JVM-wide, read once, when the first HttpServer starts.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null)
            System.setProperty("sun.net.httpserver.maxReqTime", "30");
    }

    public static final String PATH = "/v1/talaria/setup";
    /** The largest request body read: a setup request is ~200 bytes of JSON. */
    public static final int MAX_BODY = 1 << 16;
    /** The client id of every request when the server runs without authentication. */
    public static final String ANONYMOUS = "anonymous";

    /**
     * @param clients         who may set up, or null for no authentication (loopback only: {@code --insecure-no-auth})
     * @param budget          each client's row budget unless the clients file gives it one
     * @param maxConcurrent   setups computing at once
     * @param queueWait       how long a setup waits for a slot before 503
     * @param setupsPerMinute each client's setups per minute (sustained and burst); 0 = no limit
     * @param maxBundleBytes  the largest bundle one setup may ask for (at most one reply: {@link SetupAuthority#REPLY_LIMIT_BYTES})
     * @param tls             the server's TLS context, or null for plain HTTP (loopback only)
     */
    public record Options(
            String host,
            int port,
            SetupClients clients,
            RowBudget budget,
            int maxConcurrent,
            Duration queueWait,
            double setupsPerMinute,
            long maxBundleBytes,
            SSLContext tls) {

        public Options {
            if (maxConcurrent < 1)
                throw new IllegalArgumentException("concurrent setups must be >= 1, got " + maxConcurrent);
            if (setupsPerMinute < 0)
                throw new IllegalArgumentException("setups per minute must be >= 0, got " + setupsPerMinute);
            if (maxBundleBytes < 1 || maxBundleBytes > SetupAuthority.REPLY_LIMIT_BYTES)
                throw new IllegalArgumentException("bundle limit must be 1.." + SetupAuthority.REPLY_LIMIT_BYTES
                        + " bytes, got " + maxBundleBytes);
        }

        /** The deployment defaults: authentication, d_in − 1 directions per product, 2 setups at once, 60 a minute. */
        public static Options secure(String host, int port, SetupClients clients) {
            return new Options(
                    host,
                    port,
                    clients,
                    RowBudget.DEFAULT,
                    2,
                    Duration.ofSeconds(5),
                    60,
                    SetupAuthority.REPLY_LIMIT_BYTES,
                    null);
        }

        /**
         * An in-process authority for tests, benchmarks and the demo: no authentication, no caps, no rate limit, loopback.
         * Setups still compute two at a time; a long queue wait keeps a loaded test machine from seeing 503s.
         */
        public static Options insecureLoopback(int port) {
            return new Options(
                    "127.0.0.1",
                    port,
                    null,
                    RowBudget.UNLIMITED,
                    2,
                    Duration.ofMinutes(5),
                    0,
                    SetupAuthority.REPLY_LIMIT_BYTES,
                    null);
        }

        public Options withClients(SetupClients c) {
            return new Options(host, port, c, budget, maxConcurrent, queueWait, setupsPerMinute, maxBundleBytes, tls);
        }

        public Options withBudget(RowBudget b) {
            return new Options(host, port, clients, b, maxConcurrent, queueWait, setupsPerMinute, maxBundleBytes, tls);
        }

        public Options withConcurrency(int k, Duration wait) {
            return new Options(host, port, clients, budget, k, wait, setupsPerMinute, maxBundleBytes, tls);
        }

        public Options withRate(double perMinute) {
            return new Options(host, port, clients, budget, maxConcurrent, queueWait, perMinute, maxBundleBytes, tls);
        }

        public Options withMaxBundleBytes(long bytes) {
            return new Options(host, port, clients, budget, maxConcurrent, queueWait, setupsPerMinute, bytes, tls);
        }

        public Options withTls(SSLContext context) {
            return new Options(
                    host, port, clients, budget, maxConcurrent, queueWait, setupsPerMinute, maxBundleBytes, context);
        }
    }

    private final SetupAuthority authority;
    private final Options options;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong sessions = new AtomicLong();
    private final Semaphore slots;
    private final ClientLedger ledger;
    private final AtomicLong bundleBytes = new AtomicLong(), peakBundleBytes = new AtomicLong();
    private volatile Runnable beforeCompute = () -> {};

    private SetupServer(SetupAuthority authority, Options options) throws IOException {
        this.authority = authority;
        this.options = options;
        this.slots = new Semaphore(options.maxConcurrent(), true);
        this.ledger = new ClientLedger(options.setupsPerMinute(), System::nanoTime);
        InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
        if (options.tls() != null) {
            HttpsServer https = HttpsServer.create(address, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(options.tls()));
            http = https;
        } else {
            http = HttpServer.create(address, 64);
        }
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /** Runs an unauthenticated authority on loopback (tests, benchmarks, the demo): {@link Options#insecureLoopback}. */
    public static SetupServer start(SetupAuthority authority, String host, int port) throws IOException {
        Options o = Options.insecureLoopback(port);
        return start(
                authority,
                new Options(
                        host,
                        port,
                        null,
                        o.budget(),
                        o.maxConcurrent(),
                        o.queueWait(),
                        o.setupsPerMinute(),
                        o.maxBundleBytes(),
                        null));
    }

    public static SetupServer start(SetupAuthority authority, Options options) throws IOException {
        boolean loopback = isLoopback(options.host());
        if (!loopback && options.tls() == null)
            throw new IllegalArgumentException("the setup authority receives each session's secret seed: it listens on "
                    + options.host() + " only with TLS (--tls-keystore FILE); without, only on loopback (127.0.0.1)");
        if (!loopback && options.clients() == null)
            throw new IllegalArgumentException("--insecure-no-auth is for loopback only: on " + options.host()
                    + " every client needs a token (--clients FILE)");
        SetupServer s = new SetupServer(authority, options);
        s.http.start();
        LOG.log(
                System.Logger.Level.INFO,
                "talaria setup authority on {0} ({1}; row budget {2}, {3} setups at once)",
                s.uri(),
                options.clients() == null
                        ? "NO AUTHENTICATION"
                        : options.clients().size() + " client(s)",
                options.budget(),
                options.maxConcurrent());
        return s;
    }

    /** An SSL context serving the (first) key pair of a PKCS#12 or JKS keystore. */
    public static SSLContext tlsContext(Path keystore, char[] password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(keystore.toFile(), password);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot resolve host '" + host + "': " + e.getMessage());
        }
    }

    public URI uri() {
        return URI.create((options.tls() != null ? "https://" : "http://")
                + http.getAddress().getHostString() + ":" + http.getAddress().getPort());
    }

    /** Setups answered. */
    public long sessions() {
        return sessions.get();
    }

    /** Input directions of product {@code n} handed to {@code client} so far. */
    public long handedOut(String client, ModelName n) {
        return ledger.handedOut(client, n);
    }

    /** The most bundle bytes (float material and encoded replies) held at once since the start. */
    public long peakBundleBytes() {
        return peakBundleBytes.get();
    }

    /** Test hook: runs in each setup after its slot is taken, before it computes. */
    void beforeCompute(Runnable hook) {
        beforeCompute = hook;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                if (!ex.getRequestURI().getPath().equals(PATH))
                    throw new HttpError(
                            404,
                            ex.getRequestURI().getPath() + " is not an endpoint of the setup authority (POST " + PATH
                                    + ")");
                if (!ex.getRequestMethod().equals("POST"))
                    throw new HttpError(
                            405,
                            ex.getRequestMethod() + " " + PATH + ": the setup authority takes POST only",
                            Map.of("Allow", "POST"));
                String client = authenticate(ex);
                ledger.takeSetup(client);
                SetupRequest req = SetupRequest.fromJson(Exchanges.body(ex, MAX_BODY));
                authority.checkBundleSize(
                        req.plan(),
                        options.maxBundleBytes(),
                        "over this authority's limit of " + options.maxBundleBytes() + " bytes per setup");
                RowBudget budget = options.clients() == null
                        ? options.budget()
                        : options.clients().budgetOf(client).orElse(options.budget());
                Map<ModelName, Long> reserved =
                        ledger.reserve(client, authority.model().config(), req.plan(), budget);
                boolean done = false;
                try {
                    compute(ex, req);
                    done = true;
                } finally {
                    if (!done) ledger.refund(client, reserved);
                }
            } catch (HttpError e) {
                Exchanges.sendError(ex, e);
            } catch (IllegalArgumentException e) {
                Exchanges.sendError(ex, 400, e.getMessage());
            } catch (RuntimeException | OutOfMemoryError e) {
                // Without this the JDK server drops the connection and the client only sees "no bytes".
                LOG.log(System.Logger.Level.WARNING, "setup failed: " + e);
                Exchanges.sendError(ex, 500, "the setup authority failed: " + e);
            }
        }
    }

    /** The client's id from its bearer token, or 401. */
    private String authenticate(HttpExchange ex) {
        if (options.clients() == null) return ANONYMOUS;
        Map<String, String> challenge = Map.of("WWW-Authenticate", "Bearer realm=\"veil-setup\"");
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7))
            throw new HttpError(
                    401,
                    "no bearer token: send 'Authorization: Bearer <token>' with the token the authority's "
                            + "operator issued (veil talaria setup token; client: --setup-token or VEIL_SETUP_TOKEN)",
                    challenge);
        return options.clients()
                .authenticate(h.substring(7).strip())
                .orElseThrow(() ->
                        new HttpError(401, "unknown bearer token (revoked, or issued by another authority)", challenge))
                .id();
    }

    /** Computes and sends one bundle in a slot, counting the bytes it holds; the refusal before any work if none frees up. */
    private void compute(HttpExchange ex, SetupRequest req) throws IOException {
        try {
            if (!slots.tryAcquire(options.queueWait().toMillis(), TimeUnit.MILLISECONDS)) {
                long retry = Math.max(1, options.queueWait().toSeconds());
                throw new HttpError(
                        503,
                        options.maxConcurrent() + " setups are computing and none finished within "
                                + options.queueWait().toMillis() + " ms; retry later",
                        Map.of("Retry-After", Long.toString(retry)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the setup authority is stopping");
        }
        long held = 2 * authority.bundleBytes(req.plan()); // the floats, then the encoded reply
        try {
            peakBundleBytes.accumulateAndGet(bundleBytes.addAndGet(held), Math::max);
            beforeCompute.run();
            V2Codec.Body body = authority.compute(req).encode();
            Exchanges.sendBinary(ex, body);
            sessions.incrementAndGet();
        } finally {
            bundleBytes.addAndGet(-held);
            slots.release();
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
