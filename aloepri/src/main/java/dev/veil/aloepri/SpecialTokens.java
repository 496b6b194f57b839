package dev.veil.aloepri;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.model.JsonFiles;
import dev.veil.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ids the vocabulary permutation keeps fixed (see {@link VocabPermutation}): BOS/EOS/PAD from config.json and
 * generation_config.json, every added token tokenizer.json marks special, and the embedding rows beyond the
 * tokenizer's vocabulary (padding rows no text produces, e.g. Qwen's 151936 rows for 151665 tokens).
 */
public final class SpecialTokens {

    private SpecialTokens() {}

    public static Set<Integer> read(Path modelDir, ModelConfig config) throws IOException {
        Set<Integer> fixed = new TreeSet<>();
        if (config.bosTokenId() >= 0) fixed.add(config.bosTokenId());
        fixed.addAll(config.eosTokenIds());
        Path generation = modelDir.resolve("generation_config.json");
        if (Files.exists(generation)) {
            JsonNode g = parse(generation);
            for (String field : new String[] {"bos_token_id", "eos_token_id", "pad_token_id"})
                ids(g.path(field), fixed);
        }
        Path tokenizer = modelDir.resolve("tokenizer.json");
        if (Files.exists(tokenizer)) {
            JsonNode t = parse(tokenizer);
            int known = -1;
            for (JsonNode added : t.path("added_tokens")) {
                int id = added.path("id").asInt(-1);
                known = Math.max(known, id);
                if (added.path("special").asBoolean(false)) fixed.add(id);
            }
            JsonNode vocab = t.path("model").path("vocab");
            if (vocab.isObject()) for (JsonNode id : vocab) known = Math.max(known, id.asInt());
            else if (vocab.isArray()) known = Math.max(known, vocab.size() - 1); // Unigram: [[piece, score], ...]
            if (known >= 0) for (int id = known + 1; id < config.vocabSize(); id++) fixed.add(id);
        }
        fixed.removeIf(id -> id < 0 || id >= config.vocabSize());
        return fixed;
    }

    private static void ids(JsonNode n, Set<Integer> out) {
        if (n.isArray()) n.forEach(x -> out.add(x.asInt()));
        else if (n.isNumber()) out.add(n.asInt());
    }

    private static JsonNode parse(Path file) throws IOException {
        return JsonFiles.read(file, null);
    }
}
