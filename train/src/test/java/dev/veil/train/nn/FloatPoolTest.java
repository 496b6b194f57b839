package dev.veil.train.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FloatPoolTest {
    @Test
    void aStepOfTheSameShapesReusesTheSameArraysZeroedOnRequest() {
        FloatPool pool = new FloatPool();
        float[] a = pool.take(8, false), b = pool.take(8, true);
        a[0] = 5;
        pool.reclaim();
        float[] c = pool.take(8, true), d = pool.take(8, false);
        assertThat(c == a || c == b).as("reused").isTrue();
        assertThat(c).containsOnly(0f);
        assertThat(d == a || d == b).as("reused").isTrue();
        assertThat(d).isNotSameAs(c);
        float[] e = pool.take(8, false); // both are lent again: a third is new
        assertThat(e).isNotSameAs(a).isNotSameAs(b);
    }

    /** Lengths that change every step (a mixture-of-experts layer's tokens per expert) do not accumulate. */
    @Test
    void holdsOnlyWhatThePreviousPassTook() {
        FloatPool pool = new FloatPool();
        for (int step = 1; step <= 50; step++) {
            pool.take(1000 + step, false);
            pool.take(7, false);
            pool.reclaim();
            assertThat(pool.pooledFloats()).isEqualTo(1000 + step + 7);
        }
    }
}
