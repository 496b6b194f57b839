package dev.veil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.ModelConfig;
import dev.veil.train.data.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainConfigTest {
    @TempDir
    Path dir;

    private Path write(String json) throws IOException {
        Path f = dir.resolve("c.json");
        Files.writeString(f, json);
        return f;
    }

    private static String valid() {
        return TinyRun.CONFIG.formatted(7, "0.01");
    }

    @Test
    void readsEveryField() throws IOException {
        TrainConfig c = TrainConfig.read(write(valid()));
        assertThat(c.seed()).isEqualTo(7);
        assertThat(c.out()).isNull();
        assertThat(c.data().train()).isEqualTo(Split.TRAIN);
        assertThat(c.tokenizer().vocabSize()).isEqualTo(400);
        assertThat(c.tokenizer().minFrequency()).isEqualTo(2);
        assertThat(c.model().architecture()).isEqualTo(ModelConfig.Architecture.QWEN2);
        assertThat(c.model().attentionBias()).isTrue();
        assertThat(c.model().headDim()).isEqualTo(12);
        assertThat(c.training().lr()).isEqualTo(0.01);
        assertThat(c.training().minLr()).isEqualTo(0.001);
        assertThat(c.training().beta2()).isEqualTo(0.95);
        assertThat(c.exportDtype()).isEqualTo("float32");
        assertThat(c.fingerprint().at("/training/lr").asDouble()).isEqualTo(0.01);
        assertThat(c.fingerprint().has("out")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"hidden_size\": 32,|                  | missing field 'model.hidden_size'",
                "\"warmup_steps\": 2,|\"warmup\": 2,| unknown field 'training.warmup'",
                "\"lr\": 0.01,|\"learning_rate\": 0.01,| missing field 'training.lr'",
                "\"steps\": 8,|\"steps\": \"eight\",| field 'training.steps' must be an integer, got \"eight\"",
                "\"batch_size\": 2,|\"batch_size\": 0,| field 'training.batch_size' must be between 1 and 65536, got 0",
                "\"num_key_value_heads\": 2,|\"num_key_value_heads\": 3,| field 'model.num_key_value_heads' (3) must divide num_attention_heads (4)",
                "\"head_dim\": 12,|\"head_dim\": 13,| field 'model.head_dim' must be even",
                "\"seq_len\": 32,|\"seq_len\": 128,| field 'training.seq_len' (128) exceeds model.max_position_embeddings (64)",
                "\"architecture\": \"qwen2\",|\"architecture\": \"gpt2\",| field 'model.architecture' must be one of \"llama\", \"qwen2\", \"qwen3\", \"qwen3_moe\", got \"gpt2\"",
                "\"dtype\": \"float32\"|\"dtype\": \"int8\"| field 'export.dtype' must be \"bfloat16\" or \"float32\", got \"int8\"",
                "\"tie_word_embeddings\": true,|\"tie_word_embeddings\": true, \"attention_bias\": false,| field 'model.attention_bias' must be true for qwen2",
                "\"lr\": 0.01,|\"lr\": 0.01, \"min_lr\": 0.5,| field 'training.min_lr' must be between 0.0 and 0.01, got 0.5",
            })
    void aBadFieldIsNamed(String from, String to, String message) throws IOException {
        String json = valid().replace(from.strip(), to == null ? "" : to.strip());
        Path f = write(json);
        assertThatThrownBy(() -> TrainConfig.read(f))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContaining(message.strip());
    }

    @Test
    void unreadableFilesAreNamed() throws IOException {
        Path missing = dir.resolve("nope.json");
        assertThatThrownBy(() -> TrainConfig.read(missing)).hasMessage(missing + ": training config not found");
        Path broken = write("{ \"seed\": 1, ");
        assertThatThrownBy(() -> TrainConfig.read(broken)).hasMessageStartingWith(broken + ": not valid JSON");
        Path array = write("[1, 2]");
        assertThatThrownBy(() -> TrainConfig.read(array)).hasMessage(array + ": the config must be a JSON object");
    }
}
