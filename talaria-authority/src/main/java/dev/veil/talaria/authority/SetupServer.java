package dev.veil.talaria.authority;

import dev.veil.http.Exchange;
import dev.veil.http.HttpLimits;
import dev.veil.http.HttpService;
import dev.veil.http.Tls;
import dev.veil.model.Records;
import dev.veil.talaria.cloud.V2Error;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.SetupRequest;
import dev.veil.talaria.protocol.V2Codec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p>It runs on the shared {@link HttpService} (TLS, request and idle timeouts, the connection cap, bodies refused
 * from their Content-Length: {@link Options#http}); errors are KServe's {@code {"error": "..."}} ({@link V2Error}).
 */
public final class SetupServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SetupServer.class.getName());

    public static final String PATH = "/v1/talaria/setup";
    /** The largest request body read: a setup request is ~200 bytes of JSON. */
    public static final int MAX_BODY = 1 << 16;
    /**
     * 30 s to send a request (the TLS handshake included), 30 s idle, 256 connections: a setup request is ~200 bytes,
     * so a client that takes longer is stalling.
     */
    public static final HttpLimits HTTP_LIMITS = HttpLimits.defaults().withMaxConnections(256);

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
     * @param http            timeouts, connection cap and head size ({@link #HTTP_LIMITS} by default)
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
            SSLContext tls,
            HttpLimits http) {

        public Options {
            if (maxConcurrent < 1)
                throw new IllegalArgumentException("concurrent setups must be >= 1, got " + maxConcurrent);
            if (setupsPerMinute < 0)
                throw new IllegalArgumentException("setups per minute must be >= 0, got " + setupsPerMinute);
            if (maxBundleBytes < 1 || maxBundleBytes > SetupAuthority.REPLY_LIMIT_BYTES)
                throw new IllegalArgumentException("bundle limit must be 1.." + SetupAuthority.REPLY_LIMIT_BYTES
                        + " bytes, got " + maxBundleBytes);
            if (http == null) throw new IllegalArgumentException("HTTP limits are null");
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
                    null,
                    HTTP_LIMITS);
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
                    null,
                    HTTP_LIMITS);
        }

        public Options withBudget(RowBudget b) {
            return Records.with(this, "budget", b);
        }

        public Options withConcurrency(int k, Duration wait) {
            return Records.with(this, "maxConcurrent", k, "queueWait", wait);
        }

        public Options withRate(double perMinute) {
            return Records.with(this, "setupsPerMinute", perMinute);
        }

        public Options withMaxBundleBytes(long bytes) {
            return Records.with(this, "maxBundleBytes", bytes);
        }

        public Options withTls(SSLContext context) {
            return Records.with(this, "tls", context);
        }

        public Options withHttp(HttpLimits limits) {
            return Records.with(this, "http", limits);
        }
    }

    private final SetupAuthority authority;
    private final Options options;
    private final AtomicLong sessions = new AtomicLong();
    private final Semaphore slots;
    private final ClientLedger ledger;
    private final AtomicLong bundleBytes = new AtomicLong(), peakBundleBytes = new AtomicLong();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private volatile Runnable beforeCompute = () -> {};
    private HttpService http;

    private SetupServer(SetupAuthority authority, Options options) {
        this.authority = authority;
        this.options = options;
        this.slots = new Semaphore(options.maxConcurrent(), true);
        this.ledger = new ClientLedger(options.setupsPerMinute(), System::nanoTime);
    }

    /** Runs an unauthenticated authority on loopback (tests, benchmarks, the demo): {@link Options#insecureLoopback}. */
    public static SetupServer start(SetupAuthority authority, String host, int port) throws IOException {
        return start(authority, Records.with(Options.insecureLoopback(port), "host", host));
    }

    public static SetupServer start(SetupAuthority authority, Options options) throws IOException {
        Tls.requireBeyondLoopback(
                options.host(), options.tls(), "the setup authority receives each session's secret seed");
        if (!Tls.isLoopback(options.host()) && options.clients() == null)
            throw new IllegalArgumentException("--insecure-no-auth is for loopback only: on " + options.host()
                    + " every client needs a token (--clients FILE)");
        SetupServer s = new SetupServer(authority, options);
        s.http = HttpService.on(options.host(), options.port(), V2Error.SHAPE)
                .limits(options.http())
                .bodyLimit(MAX_BODY)
                .metrics(s.metrics)
                .tls(options.tls())
                .start(s::handle);
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

    /** An SSL context serving the (first) key pair of a PKCS#12 or JKS keystore: {@link Tls#serverContext}. */
    public static SSLContext tlsContext(Path keystore, char[] password) throws IOException, GeneralSecurityException {
        return Tls.serverContext(keystore, password);
    }

    public URI uri() {
        return http.uri();
    }

    /** Connections the HTTP layer closed for a request or idle timeout (a stalled or slow client). */
    public long timeouts() {
        var c = metrics.find("veil.http.timeouts").counter();
        return c == null ? 0 : (long) c.count();
    }

    /** Setups answered (counted as the reply goes out, so a client holding its bundle finds it counted). */
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

    private void handle(Exchange ex) throws IOException, V2Error {
        try {
            if (!ex.path().equals(PATH))
                throw new V2Error(404, ex.path() + " is not an endpoint of the setup authority (POST " + PATH + ")");
            if (!ex.method().equals("POST"))
                throw new V2Error(
                        405,
                        ex.method() + " " + PATH + ": the setup authority takes POST only",
                        Map.of("Allow", "POST"));
            String client = authenticate(ex);
            ledger.takeSetup(client);
            SetupRequest req = SetupRequest.fromJson(ex.body()); // within MAX_BODY: the HTTP layer refused more
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
        } catch (IllegalArgumentException e) {
            throw new V2Error(400, e.getMessage());
        } catch (RuntimeException | OutOfMemoryError e) {
            // the class only: a message could quote the request
            LOG.log(System.Logger.Level.WARNING, "setup failed: " + e.getClass().getName());
            throw new V2Error(500, "the setup authority failed: " + e.getClass().getSimpleName());
        }
    }

    /** The client's id from its bearer token, or 401. */
    private String authenticate(Exchange ex) throws V2Error {
        if (options.clients() == null) return ANONYMOUS;
        Map<String, String> challenge = Map.of("WWW-Authenticate", "Bearer realm=\"veil-setup\"");
        String h = ex.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7))
            throw new V2Error(
                    401,
                    "no bearer token: send 'Authorization: Bearer <token>' with the token the authority's "
                            + "operator issued (veil talaria setup token; client: --setup-token or VEIL_SETUP_TOKEN)",
                    challenge);
        return options.clients()
                .authenticate(h.substring(7).strip())
                .orElseThrow(() ->
                        new V2Error(401, "unknown bearer token (revoked, or issued by another authority)", challenge))
                .id();
    }

    /** Computes and sends one bundle in a slot, counting the bytes it holds; the refusal before any work if none frees up. */
    private void compute(Exchange ex, SetupRequest req) throws IOException, V2Error {
        try {
            if (!slots.tryAcquire(options.queueWait().toMillis(), TimeUnit.MILLISECONDS)) {
                long retry = Math.max(1, options.queueWait().toSeconds());
                throw new V2Error(
                        503,
                        options.maxConcurrent() + " setups are computing and none finished within "
                                + options.queueWait().toMillis() + " ms; retry later",
                        Map.of("Retry-After", Long.toString(retry)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new V2Error(503, "the setup authority is stopping");
        }
        long held = 2 * authority.bundleBytes(req.plan()); // the floats, then the encoded reply
        try {
            peakBundleBytes.accumulateAndGet(bundleBytes.addAndGet(held), Math::max);
            beforeCompute.run();
            V2Codec.Body body = authority.compute(req).encode();
            // before the reply leaves: counted after it, a client could read the count before it moved
            sessions.incrementAndGet();
            ex.setHeader(V2Codec.HEADER_LENGTH, Integer.toString(body.jsonLength()));
            ex.send(200, V2Codec.CONTENT_TYPE, body.bytes());
        } finally {
            bundleBytes.addAndGet(-held);
            slots.release();
        }
    }

    @Override
    public void close() {
        http.close(Duration.ZERO);
    }
}
