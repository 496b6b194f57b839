package dev.veil.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * One request, read whole, and its response, for a handler on a virtual thread: a JSON or plain reply
 * ({@link #send}), or a stream of server-sent events ({@link #events}). Writes block until the bytes are handed to the
 * socket, so a slow reader slows its own handler only; a write to a client that went away throws {@link IOException}.
 * {@link #onClientGone} says when the client went away before its answer was complete, whether or not anything is
 * being written — how a non-streaming request stops computing.
 */
public final class Exchange {

    private final Channel channel;
    private final HttpRequest request;
    private final byte[] body;
    private final boolean keepAlive;
    private final HttpError.Shape errors;
    private final BiConsumer<Exchange, Boolean> answered;
    private final Map<String, String> responseHeaders = new LinkedHashMap<>();
    private final List<Runnable> goneListeners = new CopyOnWriteArrayList<>();
    private volatile boolean gone;
    private volatile boolean started;
    private volatile boolean finished;
    private volatile boolean settled; // the answer's last bytes are going out: a close from now on cancels nothing

    Exchange(
            Channel channel,
            HttpRequest request,
            byte[] body,
            boolean keepAlive,
            HttpError.Shape errors,
            BiConsumer<Exchange, Boolean> answered) {
        this.channel = channel;
        this.request = request;
        this.body = body;
        this.keepAlive = keepAlive;
        this.errors = errors;
        this.answered = answered;
    }

    Channel channel() {
        return channel;
    }

    public String method() {
        return request.method().name();
    }

    /** The path, without the query. */
    public String path() {
        return new QueryStringDecoder(request.uri()).path();
    }

    /** The first value of a request header, or null. */
    public String header(String name) {
        return request.headers().get(name);
    }

    /** The body, whole (within the service's body limit). */
    public byte[] body() {
        return body;
    }

    /** The body as JSON: 400 in the service's shape when it is not. */
    public JsonNode json() throws HttpError {
        return Json.read(body, errors);
    }

    /**
     * {@link #json()} with its error typed as the service's own: {@code errorType} is the class the service's
     * {@link HttpError.Shape} makes, so a handler declares the exceptions it already throws.
     */
    public <E extends HttpError> JsonNode json(Class<E> errorType) throws E {
        try {
            return json();
        } catch (HttpError e) {
            throw errorType.cast(e);
        }
    }

    /** A header for the response to come. */
    public void setHeader(String name, String value) {
        responseHeaders.put(name, value);
    }

    /** Whether the client has gone away before its answer was complete. */
    public boolean clientGone() {
        return gone;
    }

    /**
     * Runs {@code r} once, on an I/O thread, when the client goes away before the response is complete (at once if it
     * already has). It must not block.
     */
    public void onClientGone(Runnable r) {
        goneListeners.add(r);
        if (gone && goneListeners.remove(r)) r.run();
    }

    void markGone() {
        if (finished || settled) return;
        gone = true;
        for (Runnable r : goneListeners) if (goneListeners.remove(r)) r.run();
    }

    public void send(int status, String contentType, byte[] bytes) throws IOException {
        if (started) throw new IllegalStateException("the response has started");
        started = true;
        settled = true;
        FullHttpResponse r = full(HttpResponseStatus.valueOf(status), contentType, bytes, responseHeaders);
        boolean keepOpen = keepAlive && !"close".equalsIgnoreCase(responseHeaders.get("Connection"));
        if (!keepOpen) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (bytes.length <= SLICE) {
            complete(channel.writeAndFlush(r), keepOpen);
            return;
        }
        // a large body (a setup bundle, an embedding table) goes out a slice at a time, each written before the next
        // is handed over: what waits in Netty's buffers (encrypted, under TLS) is one slice, not a copy of the body
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, r.status(), r.headers());
        r.release();
        await(channel.writeAndFlush(head));
        int at = 0;
        for (; at + SLICE < bytes.length; at += SLICE)
            await(channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes, at, SLICE))));
        complete(
                channel.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(bytes, at, bytes.length - at))),
                keepOpen);
    }

    /** The most of a response body handed to Netty at once. */
    static final int SLICE = 1 << 20;

    public void sendJson(int status, JsonNode body) throws IOException {
        send(status, "application/json", Json.bytes(body));
    }

    public void sendError(HttpError e) throws IOException {
        e.headers().forEach(this::setHeader);
        sendJson(e.status(), e.body());
    }

    /**
     * Whether the request uses {@code method}; if not, answers 405 with {@code Allow} in the service's error shape: how
     * each service's endpoints turn away other methods.
     */
    public boolean requireMethod(String method) throws IOException {
        if (method().equals(method)) return true;
        sendError(errors.of(405, "use " + method + " for this endpoint").withHeader("Allow", method));
        return false;
    }

    /** An error if nothing has been sent yet, else the connection closes (a stream cut short). */
    void sendErrorQuietly(HttpError e) {
        try {
            if (!started) sendError(e);
        } catch (IOException | RuntimeException ignored) {
            // the client is gone
        }
    }

    /** Closes the connection if the handler returned without completing its response. */
    void abandon() {
        if (!finished) {
            finished = true;
            channel.close();
            answered.accept(this, false);
        }
    }

    /** Starts a {@code text/event-stream} response (chunked); the stream's {@link EventStream#close()} ends it. */
    public EventStream events(String contentType) throws IOException {
        if (started) throw new IllegalStateException("the response has started");
        started = true;
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        responseHeaders.forEach(r.headers()::set);
        HttpUtil.setTransferEncodingChunked(r, true);
        if (!keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        await(channel.writeAndFlush(r));
        return new EventStream(this);
    }

    void writeChunk(byte[] bytes) throws IOException {
        await(channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes))));
    }

    /** The stream's last event is next: a client that closes once it has read it has not gone away early. */
    void settle() {
        settled = true;
    }

    void endStream() throws IOException {
        settled = true;
        complete(channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
    }

    private void complete(ChannelFuture f, boolean keepOpen) throws IOException {
        try {
            await(f);
        } finally {
            finished = true;
            answered.accept(this, keepOpen && f.isSuccess());
        }
    }

    private void await(ChannelFuture f) throws IOException {
        f.awaitUninterruptibly();
        if (!f.isSuccess()) {
            markGone();
            throw new IOException("the client went away", f.cause());
        }
    }

    static FullHttpResponse full(
            HttpResponseStatus status, String contentType, byte[] bytes, Map<String, String> headers) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        if (bytes.length > 0 || status.code() >= 400) r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        headers.forEach(r.headers()::set);
        HttpUtil.setContentLength(r, bytes.length);
        return r;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
