package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.aloepri.key.KeyStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class VocabPermutationTest {

    @Test
    void fixedIdsStayAndTheRestIsABijection() {
        VocabPermutation tau = VocabPermutation.sample(1000, List.of(0, 1, 2, 999, 5000), KeyStream.fromSeed("tau"));
        assertThat(tau.obfuscate(0)).isZero();
        assertThat(tau.obfuscate(1)).isEqualTo(1);
        assertThat(tau.obfuscate(999)).isEqualTo(999);
        assertThat(Arrays.stream(tau.forward()).sorted().toArray())
                .containsExactly(IntStream.range(0, 1000).toArray());
        long moved = IntStream.range(3, 999).filter(i -> tau.obfuscate(i) != i).count();
        assertThat(moved).isGreaterThan(980);
        for (int i = 0; i < 1000; i++)
            assertThat(tau.deobfuscate(tau.obfuscate(i))).isEqualTo(i);
        assertThat(tau.deobfuscate(tau.obfuscate(new int[] {5, 6, 7}))).containsExactly(5, 6, 7);
    }

    @Test
    void idsOutsideTheVocabularyAndNonPermutationsAreRefused() {
        VocabPermutation tau = VocabPermutation.identity(10);
        assertThatThrownBy(() -> tau.obfuscate(10))
                .hasMessageContaining("token id 10 is outside the key's vocabulary of 10");
        assertThatThrownBy(() -> tau.deobfuscate(-1)).hasMessageContaining("outside");
        assertThatThrownBy(() -> new VocabPermutation(new int[] {0, 0, 1})).hasMessageContaining("not a permutation");
    }
}
