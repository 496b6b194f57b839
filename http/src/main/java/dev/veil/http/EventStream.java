package dev.veil.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/** Server-sent events on an {@link Exchange}: {@code data:} events, comments, OpenAI's {@code [DONE]}. Each is flushed. */
public final class EventStream implements AutoCloseable {

    private static final byte[] DONE = Exchange.utf8("data: [DONE]\n\n");

    private final Exchange exchange;
    private boolean closed;

    EventStream(Exchange exchange) {
        this.exchange = exchange;
    }

    /** {@code data: <json>} and a blank line. */
    public void event(JsonNode data) throws IOException {
        byte[] json = Json.bytes(data);
        byte[] chunk = new byte[6 + json.length + 2];
        System.arraycopy(Exchange.utf8("data: "), 0, chunk, 0, 6);
        System.arraycopy(json, 0, chunk, 6, json.length);
        chunk[chunk.length - 2] = '\n';
        chunk[chunk.length - 1] = '\n';
        exchange.writeChunk(chunk);
    }

    /** A comment line ({@code : text}): keeps the connection alive and shows whether the client is still there. */
    public void comment(String text) throws IOException {
        exchange.writeChunk(Exchange.utf8(": " + text + "\n\n"));
    }

    /** {@code data: [DONE]}: the answer is complete, a client that closes after reading it has not left early. */
    public void done() throws IOException {
        exchange.settle();
        exchange.writeChunk(DONE);
    }

    /** Ends the response (the last chunk); the connection serves the next request. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        exchange.endStream();
    }
}
