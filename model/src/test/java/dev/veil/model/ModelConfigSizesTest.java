package dev.veil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json sizes are positive ints whose products fit: zero heads divided by zero before (an ArithmeticException). */
class ModelConfigSizesTest {
    @TempDir
    Path dir;

    private void fails(String sizes, String message) throws IOException {
        Files.writeString(
                dir.resolve("config.json"),
                "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 32, \"intermediate_size\": 32,"
                        + " \"num_hidden_layers\": 1, " + sizes + "}");
        assertThatThrownBy(() -> ModelConfig.read(dir))
                .isInstanceOf(IOException.class)
                .hasMessage(dir.resolve("config.json") + ": " + message);
    }

    @Test
    void zeroNegativeOrOverflowingSizesAreRefusedByName() throws IOException {
        fails("\"hidden_size\": 16, \"num_attention_heads\": 0", "'num_attention_heads' must be positive, got 0");
        fails(
                "\"hidden_size\": 16, \"num_attention_heads\": 4, \"num_key_value_heads\": 0",
                "'num_key_value_heads' must be positive, got 0");
        fails("\"hidden_size\": -16, \"num_attention_heads\": 4", "'hidden_size' must be positive, got -16");
        fails("\"hidden_size\": 2, \"num_attention_heads\": 4", "hidden_size 2 is smaller than num_attention_heads 4");
        fails(
                "\"hidden_size\": 16, \"num_attention_heads\": 65536, \"num_key_value_heads\": 1, \"head_dim\": 65536",
                "num_attention_heads 65536 x head_dim 65536 does not fit an int");
    }

    @Test
    void aNullKvHeadCountMeansAsManyAsQueryHeads() throws IOException {
        Files.writeString(
                dir.resolve("config.json"),
                "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 32, \"hidden_size\": 16,"
                        + " \"intermediate_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"num_key_value_heads\": null}");
        assertThat(ModelConfig.read(dir).numKvHeads()).isEqualTo(4);
    }
}
