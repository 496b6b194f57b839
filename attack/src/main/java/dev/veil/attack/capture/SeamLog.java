package dev.veil.attack.capture;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The rows crossing the seam during one request, as a recorder collects them: every call (name, rows) and, for the
 * keys {@code keep} accepts, the rows themselves, appended per key. Thread-safe.
 */
final class SeamLog {

    private final Predicate<String> keep;
    private List<Call> calls = new ArrayList<>();
    private Map<String, Growing> rows = new LinkedHashMap<>();

    SeamLog(Predicate<String> keep) {
        this.keep = keep;
    }

    synchronized void call(String name, int n) {
        calls.add(new Call(name, n));
    }

    /** Appends {@code n} rows of {@code cols} from {@code data} under {@code key}, when it is kept. */
    synchronized void rows(String key, float[] data, int n, int cols) {
        if (n == 0 || !keep.test(key)) return;
        Growing g = rows.computeIfAbsent(key, k -> new Growing(cols));
        if (g.cols != cols)
            throw new IllegalStateException(key + ": rows of " + cols + " columns after rows of " + g.cols);
        g.append(data, n * cols);
    }

    /** The request recorded so far (then starts a new one). */
    synchronized Request take(int index, int[] idsIn, int[] idsOut) {
        Map<String, Rows> tensors = new LinkedHashMap<>();
        rows.forEach((k, g) -> tensors.put(k, new Rows(g.cols, Arrays.copyOf(g.data, g.size))));
        Request r = new Request(index, calls, tensors, idsIn, idsOut);
        calls = new ArrayList<>();
        rows = new LinkedHashMap<>();
        return r;
    }

    private static final class Growing {
        final int cols;
        float[] data = new float[1024];
        int size;

        Growing(int cols) {
            this.cols = cols;
        }

        void append(float[] src, int len) {
            if (size + len > data.length) data = Arrays.copyOf(data, Math.max(2 * data.length, size + len));
            System.arraycopy(src, 0, data, size, len);
            size += len;
        }
    }
}
