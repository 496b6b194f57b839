package dev.veil.train.optim;

/** Linear warmup from 0 to {@code peak} over {@code warmup} steps, then cosine decay to {@code min} at {@code total}. */
public record LrSchedule(double peak, double min, int warmup, int total) {

    public LrSchedule {
        if (!(peak > 0)) throw new IllegalArgumentException("lr must be positive, got " + peak);
        if (!(min >= 0 && min <= peak)) throw new IllegalArgumentException("min_lr must be in [0, lr], got " + min);
        if (warmup < 0 || warmup > total)
            throw new IllegalArgumentException("warmup_steps must be in [0, steps], got " + warmup);
    }

    /** The learning rate of step {@code step} (0-based). */
    public double at(int step) {
        if (step < warmup) return peak * (step + 1) / warmup;
        if (total <= warmup) return peak;
        double progress = Math.min(1.0, (double) (step - warmup) / (total - warmup));
        return min + 0.5 * (peak - min) * (1 + StrictMath.cos(Math.PI * progress));
    }
}
