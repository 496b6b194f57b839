package dev.veil.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What java.util.logging writes while this handler is on the root logger, one line per record: the tests that check
 * no log line leaks an id, a token or a seed (the server's, the gateway's, the setup authority's) read it.
 */
public final class LogCapture extends Handler {

    private final List<String> lines = new ArrayList<>();
    private final SimpleFormatter format = new SimpleFormatter();
    private final boolean withSource;

    private LogCapture(boolean withSource) {
        this.withSource = withSource;
    }

    /**
     * Installs a capture on the root logger; each line is the formatted message, or with {@code withSource} the logger's
     * name, the message and the record's exception. {@link #close()} removes it.
     */
    public static LogCapture onRoot(boolean withSource) {
        LogCapture c = new LogCapture(withSource);
        Logger.getLogger("").addHandler(c);
        return c;
    }

    @Override
    public void publish(LogRecord r) {
        String message = format.formatMessage(r);
        synchronized (lines) {
            lines.add(withSource ? r.getLoggerName() + " " + message + " " + r.getThrown() : message);
        }
    }

    /** The lines so far. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
