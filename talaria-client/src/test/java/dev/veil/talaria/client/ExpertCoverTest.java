package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.talaria.protocol.MaskPrg;
import org.junit.jupiter.api.Test;

class ExpertCoverTest {

    @Test
    void parsesTheOptionAndRefusesAnythingElseClearly() {
        assertThat(ExpertCover.parse("all")).isEqualTo(ExpertCover.ALL);
        assertThat(ExpertCover.parse("topk")).isEqualTo(ExpertCover.topK(0));
        assertThat(ExpertCover.parse(" TopK+3 ")).isEqualTo(ExpertCover.topK(3));
        assertThat(ExpertCover.topK(3)).hasToString("topk+3");
        for (String bad : new String[] {"topk+", "topk+-1", "top2", "some", "topk+x"})
            assertThatThrownBy(() -> ExpertCover.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("all, topk or topk+D")
                    .hasMessageContaining(bad);
        assertThat(ExpertCover.topK(2).expertsPerRow(8, 128)).isEqualTo(10);
        assertThat(ExpertCover.topK(200).expertsPerRow(8, 128)).isEqualTo(128);
        assertThat(ExpertCover.ALL.expertsPerRow(8, 128)).isEqualTo(128);
    }

    /** Each row keeps its chosen experts and gets exactly D others, each unchosen expert equally often. */
    @Test
    void decoysAreDUniformDrawsFromTheUnchosenExperts() {
        int n = 20_000, experts = 8, k = 2, d = 3;
        boolean[] sent = new boolean[n * experts];
        for (int r = 0; r < n; r++) {
            sent[r * experts + r % experts] = true; // chosen: r mod 8 and (r + 1) mod 8
            sent[r * experts + (r + 1) % experts] = true;
        }
        ExpertCover.topK(d).cover(n, k, experts, sent, MaskPrg.derive(new byte[32], "test"));
        int[] decoyCount = new int[experts];
        for (int r = 0; r < n; r++) {
            int count = 0;
            for (int e = 0; e < experts; e++) if (sent[r * experts + e]) count++;
            assertThat(count).isEqualTo(k + d);
            assertThat(sent[r * experts + r % experts] && sent[r * experts + (r + 1) % experts])
                    .isTrue();
            for (int e = 0; e < experts; e++)
                if (sent[r * experts + e] && e != r % experts && e != (r + 1) % experts) decoyCount[e]++;
        }
        // each expert is unchosen in 6/8 of the rows and then a decoy with probability 3/6: n·6/8·1/2 = 7,500 (sd ≈ 61)
        for (int e = 0; e < experts; e++) assertThat(decoyCount[e]).isBetween(7_500 - 300, 7_500 + 300);
    }
}
