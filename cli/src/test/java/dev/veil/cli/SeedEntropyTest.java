package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SeedEntropyTest {

    @Test
    void repeatedOrShortTextIsLowAndWarned() {
        assertThat(SeedEntropy.bits("x")).isZero();
        assertThat(SeedEntropy.bits("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
                .isZero();
        assertThat(SeedEntropy.bits("abab")).isCloseTo(4.0, within(1e-9)); // 1 bit per character
        assertThat(SeedEntropy.warning("my-model-2026"))
                .startsWith("warning: --seed has about 42 bits of entropy by Veil's estimate (below 128)");
        assertThat(SeedEntropy.warning("correct horse battery staple")).startsWith("warning: --seed has about 98 bits");
    }

    @Test
    void sixtyFourRandomHexDigitsPass() {
        String hex = "3f9a1c7be20d58a46f1e9b0c2d7a8e53b4c61f0a9d2e7b38c5a40f1e6d9b2c7a"; // openssl rand -hex 32
        assertThat(SeedEntropy.bits(hex)).isGreaterThan(240);
        assertThat(SeedEntropy.warning(hex)).isNull();
    }
}
