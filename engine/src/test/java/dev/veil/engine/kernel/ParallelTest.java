package dev.veil.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void runsEveryTaskExactlyOnce() {
        try (Parallel p = new Parallel(4)) {
            for (int tasks : new int[] {0, 1, 2, 3, 7, 100, 1000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(tasks, 1));
                p.forEach(tasks, hits::incrementAndGet);
                for (int i = 0; i < tasks; i++)
                    assertThat(hits.get(i)).as("task %d of %d", i, tasks).isEqualTo(1);
            }
        }
    }

    @Test
    void rangesCoverTheWholeIntervalInGrainMultiples() {
        try (Parallel p = new Parallel(3)) {
            for (int n : new int[] {1, 5, 16, 17, 100, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
                p.forRange(n, 4, (from, to) -> {
                    ranges.add(new int[] {from, to});
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).isEqualTo(1);
                for (int[] r : ranges) {
                    assertThat(r[0] % 4).isZero();
                    if (r[1] != n) assertThat((r[1] - r[0]) % 4).isZero();
                }
                assertThat(ranges.size()).isLessThanOrEqualTo(12);
                // the units of 4 shared out evenly: no chunk more than one unit longer than another
                IntSummaryStatistics units = ranges.stream()
                        .mapToInt(r -> Math.ceilDiv(r[1] - r[0], 4))
                        .summaryStatistics();
                assertThat(units.getMax() - units.getMin()).as("n = %d", n).isLessThanOrEqualTo(1);
            }
        }
    }

    /** Several generations share one pool: concurrent callers, nested calls, none waits on another. */
    @Test
    void concurrentAndNestedCallersShareThePool() throws Exception {
        try (Parallel p = new Parallel(3)) {
            long[] sums = new long[6];
            List<Thread> callers = new ArrayList<>();
            for (int c = 0; c < sums.length; c++) {
                int caller = c;
                callers.add(Thread.ofPlatform().start(() -> {
                    for (int round = 0; round < 200; round++) {
                        AtomicIntegerArray parts = new AtomicIntegerArray(8);
                        p.forEach(8, i -> p.forEach(5, j -> parts.addAndGet(i, j + caller)));
                        for (int i = 0; i < 8; i++) sums[caller] += parts.get(i);
                    }
                }));
            }
            for (Thread t : callers) t.join();
            for (int c = 0; c < sums.length; c++) assertThat(sums[c]).isEqualTo(200L * 8 * (10 + 5L * c));
        }
    }

    @Test
    void aTaskFailureReachesTheCaller() {
        try (Parallel p = new Parallel(2)) {
            assertThatThrownBy(() -> p.forEach(10, i -> {
                        if (i == 7) throw new IllegalStateException("task 7 failed");
                    }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("task 7 failed");
            AtomicIntegerArray hits = new AtomicIntegerArray(3);
            p.forEach(3, hits::incrementAndGet); // still usable
            assertThat(hits.get(2)).isEqualTo(1);
        }
    }

    @Test
    void rejectsBadThreadCountsAndUseAfterClose() {
        assertThatThrownBy(() -> new Parallel(0)).hasMessage("threads must be at least 1, got 0");
        Parallel p = new Parallel(2);
        p.close();
        assertThatThrownBy(() -> p.forEach(4, i -> {})).hasMessage("the kernel thread pool is closed");
    }
}
