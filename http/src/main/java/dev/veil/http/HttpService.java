package dev.veil.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * An HTTP/1.1 server on Netty for blocking handlers: the event loop reads every request whole — its head within
 * {@link HttpLimits#maxHeadBytes()}, its body refused from the Content-Length (413) before anything is allocated when
 * over the limit — and only then hands it to the handler on a virtual thread of its own ({@link Exchange}). Netty keeps
 * reading the connection meanwhile, so a client that goes away is seen at once ({@link Exchange#onClientGone}), which
 * is what lets a generation stop within a step, streaming or not. Stalled, slow and idle connections cost no thread
 * and are closed by the timeouts ({@link HttpLimits}); connections beyond the cap are closed at once. With an
 * {@link SSLContext} it serves HTTPS (Netty's {@code SslHandler} on the JDK's TLS); the request timeout then runs from
 * the first byte of the handshake, so a client that stalls in it is cut off like one that stalls in a head.
 */
public final class HttpService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(HttpService.class.getName());

    static {
        // Netty logs through java.util.logging like the rest of Veil, not through whatever SLF4J is on the class path
        io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(
                io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
    }

    /** A body declared over the limit but under this is read and dropped, so the client reads its 413 on an intact connection. */
    static final long DISCARD_BYTES = 32 << 20;

    /** What serves the requests; runs on a virtual thread, may block. */
    @FunctionalInterface
    public interface Handler {
        void handle(Exchange exchange) throws Exception;
    }

    private final Handler handler;
    private final HttpLimits limits;
    private final String host;
    private final SSLContext tls;
    private final int bodyLimit;
    private final HttpError.Shape errors;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel server;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter refused;
    private final Counter timedOut;

    private HttpService(Builder b, Handler handler) throws IOException {
        this.handler = handler;
        this.host = b.host; // for uri()
        this.limits = b.limits;
        this.tls = b.tls;
        this.bodyLimit = b.bodyLimit;
        this.errors = b.errors;
        MeterRegistry metrics = b.metrics;
        Gauge.builder("veil.http.connections", open, AtomicInteger::get)
                .description("Open HTTP connections.")
                .register(metrics);
        this.refused = Counter.builder("veil.http.connections.refused")
                .description("Connections closed at once: over the cap.")
                .register(metrics);
        this.timedOut = Counter.builder("veil.http.timeouts")
                .description("Connections closed by the request or idle timeout.")
                .register(metrics);
        this.boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(
                Math.min(4, Runtime.getRuntime().availableProcessors()), NioIoHandler.newFactory());
        try {
            this.server = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            Connection c = new Connection();
                            ch.pipeline().addLast(c.firstByte);
                            if (tls != null) ch.pipeline().addLast(sslHandler());
                            ch.pipeline()
                                    .addLast(
                                            new HttpServerCodec(new HttpDecoderConfig()
                                                    .setMaxInitialLineLength(limits.maxHeadBytes())
                                                    .setMaxHeaderSize(limits.maxHeadBytes())
                                                    .setMaxChunkSize(64 << 10)),
                                            c);
                        }
                    })
                    .bind(new InetSocketAddress(host, b.port))
                    .sync()
                    .channel();
        } catch (Exception e) {
            shutdownGroups();
            throw new IOException("cannot listen on " + host + ":" + b.port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails unless {@code port} is one a service may be told to listen on: 0 (a free port) to 65535. The one check of
     * the token server's, the gateway's and the Talaria cloud's options.
     */
    public static void checkPort(int port) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }

    /**
     * A service to listen on {@code host:port} (0: a free port) that writes its errors, its own (413, 408, 503 ...) and
     * its handler's, in {@code errors}, its API's shape. Set what differs from the defaults, then start it.
     */
    public static Builder on(String host, int port, HttpError.Shape errors) {
        checkPort(port);
        return new Builder(host, port, Objects.requireNonNull(errors, "errors"));
    }

    /**
     * What a service is started with. Defaults: {@link HttpLimits#defaults()}, bodies up to 1 MiB, connection counts
     * and timeouts recorded in a registry of its own, plain HTTP.
     */
    public static final class Builder {
        private final String host;
        private final int port;
        private final HttpError.Shape errors;
        private HttpLimits limits = HttpLimits.defaults();
        private int bodyLimit = 1 << 20;
        private MeterRegistry metrics = new SimpleMeterRegistry();
        private SSLContext tls;

        private Builder(String host, int port, HttpError.Shape errors) {
            this.host = host;
            this.port = port;
            this.errors = errors;
        }

        /** Timeouts, connection cap and head size. */
        public Builder limits(HttpLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** Bodies over this many bytes get 413, refused from their Content-Length before anything is read. */
        public Builder bodyLimit(int bytes) {
            if (bytes <= 0) throw new IllegalArgumentException("body limit must be > 0, got " + bytes);
            bodyLimit = bytes;
            return this;
        }

        /** HTTPS with this context; null: plain HTTP. */
        public Builder tls(SSLContext context) {
            tls = context;
            return this;
        }

        /** Where connection counts and timeouts are recorded (the service's {@code /metrics}, if it has one). */
        public Builder metrics(MeterRegistry registry) {
            metrics = Objects.requireNonNull(registry, "metrics");
            return this;
        }

        /** Listens, and serves every request with {@code handler}. */
        public HttpService start(Handler handler) throws IOException {
            return new HttpService(this, handler);
        }
    }

    private SslHandler sslHandler() {
        SSLEngine engine = tls.createSSLEngine();
        engine.setUseClientMode(false);
        SslHandler h = new SslHandler(engine);
        h.setHandshakeTimeoutMillis(limits.requestTimeout().toMillis());
        return h;
    }

    /** Whether it serves HTTPS. */
    public boolean tls() {
        return tls != null;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The base URI a client uses, e.g. {@code http://127.0.0.1:8000} (https over TLS, an IPv6 host in brackets). */
    public URI uri() {
        return URI.create(
                (tls != null ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port());
    }

    public int bodyLimit() {
        return bodyLimit;
    }

    /** Stops listening, gives requests in flight up to {@code grace} to finish, then closes every connection. */
    public void close(Duration grace) {
        server.close().awaitUninterruptibly();
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        channels.close().awaitUninterruptibly();
        handlers.shutdownNow();
        shutdownGroups();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(1));
    }

    private void shutdownGroups() {
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private enum State {
        IDLE,
        READING,
        DISCARDING,
        HANDLING
    }

    /** One connection's reading, on its event loop: the timeouts, the body limit, the hand-over to a handler. */
    private final class Connection extends ChannelInboundHandlerAdapter {

        private State state = State.IDLE;
        private ScheduledFuture<?> deadline;
        private boolean counted;
        private HttpRequest head;
        private ByteArrayOutputStream body; // grows as bytes arrive, up to the limit: a stalled body costs what it sent
        private Exchange exchange;
        private final ArrayDeque<Object> pipelined = new ArrayDeque<>();

        /** Before the HTTP decoder: a request's first byte starts its request timeout. */
        final ChannelInboundHandlerAdapter firstByte = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (state == State.IDLE && msg instanceof ByteBuf b && b.isReadable()) {
                    state = State.READING;
                    arm(ctx, limits.requestTimeout());
                }
                ctx.fireChannelRead(msg);
            }
        };

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (open.incrementAndGet() > limits.maxConnections()) {
                open.decrementAndGet();
                refused.increment();
                ctx.close();
                return;
            }
            counted = true;
            channels.add(ctx.channel());
            arm(ctx, limits.idleTimeout());
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (counted) open.decrementAndGet();
            counted = false;
            disarm();
            pipelined.forEach(ReferenceCountUtil::release);
            pipelined.clear();
            if (exchange != null) exchange.markGone();
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof IOException)) LOG.log(System.Logger.Level.DEBUG, "connection failed: " + cause);
            ctx.close();
        }

        private void arm(ChannelHandlerContext ctx, Duration timeout) {
            disarm();
            deadline = ctx.executor()
                    .schedule(
                            () -> {
                                if (state != State.HANDLING && ctx.channel().isActive()) {
                                    timedOut.increment();
                                    ctx.close();
                                }
                            },
                            timeout.toNanos(),
                            TimeUnit.NANOSECONDS);
        }

        private void disarm() {
            if (deadline != null) deadline.cancel(false);
            deadline = null;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (state == State.HANDLING) { // a pipelined request: kept until the current one is answered
                pipelined.add(msg);
                ctx.channel().config().setAutoRead(false);
                return;
            }
            try {
                if (state == State.DISCARDING) { // the rest of a refused body: dropped as it arrives
                    if (msg instanceof LastHttpContent) {
                        state = State.IDLE;
                        arm(ctx, limits.idleTimeout());
                    }
                    return;
                }
                if (msg instanceof HttpRequest request) head(ctx, request);
                if (msg instanceof HttpContent content && head != null) content(ctx, content);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void head(ChannelHandlerContext ctx, HttpRequest request) {
            state = State.READING;
            if (request.decoderResult().isFailure()) {
                Throwable cause = request.decoderResult().cause();
                boolean tooLong = cause instanceof TooLongFrameException;
                reject(
                        ctx,
                        errors.of(
                                tooLong ? 431 : 400,
                                tooLong
                                        ? "the request head exceeds " + limits.maxHeadBytes() + " bytes"
                                        : "malformed request: " + cause.getMessage()),
                        true);
                return;
            }
            long declared;
            try {
                declared = HttpUtil.getContentLength(request, -1L);
            } catch (NumberFormatException e) {
                reject(ctx, errors.of(400, "malformed Content-Length"), true);
                return;
            }
            if (declared > bodyLimit) {
                // refused from the head: a client announcing 10 GB and sending nothing is answered at once
                boolean discard = declared <= DISCARD_BYTES && !HttpUtil.is100ContinueExpected(request);
                reject(ctx, errors.of(413, "the request body exceeds " + bodyLimit + " bytes"), !discard);
                if (discard) state = State.DISCARDING;
                return;
            }
            if (HttpUtil.is100ContinueExpected(request))
                ctx.writeAndFlush(new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
            head = request;
            body = new ByteArrayOutputStream(Math.clamp(declared, 256, 64 << 10));
        }

        private void content(ChannelHandlerContext ctx, HttpContent content) {
            ByteBuf data = content.content();
            int n = data.readableBytes();
            if ((long) body.size() + n > bodyLimit) { // a chunked body has no Content-Length to refuse it by
                reject(ctx, errors.of(413, "the request body exceeds " + bodyLimit + " bytes"), true);
                return;
            }
            if (n > 0) {
                byte[] part = new byte[n];
                data.readBytes(part);
                body.writeBytes(part);
            }
            if (content instanceof LastHttpContent) {
                byte[] whole = body.toByteArray();
                HttpRequest request = head;
                head = null;
                body = null;
                dispatch(ctx, request, whole);
            }
        }

        /** Reading is over for this request: the handler gets it on a virtual thread. */
        private void dispatch(ChannelHandlerContext ctx, HttpRequest request, byte[] bytes) {
            state = State.HANDLING;
            disarm();
            Exchange ex =
                    new Exchange(ctx.channel(), request, bytes, HttpUtil.isKeepAlive(request), errors, this::answered);
            exchange = ex;
            inFlight.incrementAndGet();
            try {
                handlers.execute(() -> {
                    try {
                        handler.handle(ex);
                    } catch (HttpError e) {
                        ex.sendErrorQuietly(e);
                    } catch (Exception | Error e) {
                        LOG.log(
                                System.Logger.Level.ERROR,
                                "request failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                        ex.sendErrorQuietly(errors.of(500, "internal error"));
                    } finally {
                        ex.abandon(); // a handler that returned without answering: the connection closes
                        inFlight.decrementAndGet();
                    }
                });
            } catch (RejectedExecutionException e) { // closing
                inFlight.decrementAndGet();
                ctx.close();
            }
        }

        /** Called on the event loop once an exchange's response is written: the next request, or the close. */
        private void answered(Exchange ex, boolean keepOpen) {
            Channel ch = ex.channel();
            ch.eventLoop().execute(() -> {
                if (exchange != ex) return;
                exchange = null;
                if (!keepOpen || !ch.isActive()) {
                    ch.close();
                    return;
                }
                state = State.IDLE;
                ChannelHandlerContext ctx = ch.pipeline().context(this);
                arm(ctx, limits.idleTimeout());
                ch.config().setAutoRead(true);
                while (!pipelined.isEmpty() && state != State.HANDLING) channelRead(ctx, pipelined.poll());
            });
        }

        /** An error answered from the event loop, before any handler: then the next request, or the close. */
        private void reject(ChannelHandlerContext ctx, HttpError e, boolean close) {
            head = null;
            body = null;
            FullHttpResponse r = Exchange.full(
                    HttpResponseStatus.valueOf(e.status()), "application/json", Json.bytes(e.body()), e.headers());
            if (close) {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                disarm();
                state = State.HANDLING; // nothing more is read from it
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(r);
            }
        }
    }
}
