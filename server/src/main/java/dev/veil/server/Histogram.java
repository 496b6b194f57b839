package dev.veil.server;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram with fixed upper bounds: cumulative bucket counts, sum and count. Thread-safe. */
final class Histogram {

    final String name;
    final String help;
    private final double[] bounds;
    private final AtomicLongArray counts;
    private final DoubleAdder sum = new DoubleAdder();
    private final LongAdder count = new LongAdder();

    Histogram(String name, String help, double... bounds) {
        this.name = name;
        this.help = help;
        this.bounds = bounds.clone();
        this.counts = new AtomicLongArray(bounds.length);
    }

    void observe(double value) {
        for (int i = 0; i < bounds.length; i++) {
            if (value <= bounds[i]) {
                counts.incrementAndGet(i);
                break;
            }
        }
        sum.add(value);
        count.increment();
    }

    long count() {
        return count.sum();
    }

    double sum() {
        return sum.sum();
    }

    void write(StringBuilder out) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts.get(i);
            out.append(name).append("_bucket{le=\"").append(format(bounds[i])).append("\"} ").append(cumulative).append('\n');
        }
        long n = count.sum();
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(n).append('\n');
        out.append(name).append("_sum ").append(format(sum.sum())).append('\n');
        out.append(name).append("_count ").append(n).append('\n');
    }

    static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
