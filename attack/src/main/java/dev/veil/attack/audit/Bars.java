package dev.veil.attack.audit;

import dev.veil.attack.Progress;
import java.util.function.Function;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars (on the console) for the audit's long steps, or none (tests). */
public final class Bars {

    private final boolean enabled;

    public Bars(boolean enabled) {
        this.enabled = enabled;
    }

    public static final Bars NONE = new Bars(false);

    /** Runs {@code work} with a bar of {@code max} steps named {@code task} ({@code max} −1: unknown). */
    public <T> T run(String task, long max, Function<Progress, T> work) {
        if (!enabled) return work.apply(Progress.NONE);
        try (ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .setMaxRenderedLength(110)
                .build()) {
            T out = work.apply(bar::step);
            if (max >= 0) bar.stepTo(max);
            return out;
        }
    }
}
