package dev.veil.model.gguf;

import static dev.veil.model.gguf.GgufKeys.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.ByteLevelBpe;
import dev.veil.model.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The vocabulary block of a GGUF (tokenizer.ggml.*), built from a Hugging Face tokenizer.json read as plain JSON, or a
 * synthetic byte-level vocabulary when a model has none (an obfuscated model is driven by token ids only, but
 * llama.cpp still refuses a file without a vocabulary). The token list always has exactly vocab_size entries,
 * because llama.cpp sizes the embedding by it; ids the tokenizer does not use become "[PADi]" tokens, as in
 * llama.cpp's converter.
 */
public final class GgufVocab {
    private GgufVocab() {}

    /** gguf-py TokenType. */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /** Split regexes of tokenizer.json files and the llama.cpp pre-tokenizer that implements each. */
    private static final Map<String, String> PRE_BY_REGEX = Map.of(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
                    "llama-bpe",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
                    "qwen2",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)", "gpt-2");

    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Adds the vocabulary of {@code dir/tokenizer.json} (and chat template / add_bos_token from tokenizer_config.json)
     * to {@code out}. {@code bos}/{@code eos} are the model's special ids (-1: none).
     */
    public static void fromTokenizerJson(Path dir, int vocabSize, int bos, List<Integer> eos, GgufMetadata out)
            throws IOException {
        Path file = dir.resolve("tokenizer.json");
        JsonNode tj = readJson(file);
        JsonNode model = tj.path("model");
        if (!"BPE".equals(model.path("type").asText()))
            throw new IOException(file + ": unsupported tokenizer model '"
                    + model.path("type").asText() + "' (Veil exports BPE vocabularies to GGUF)");
        boolean spm = model.path("byte_fallback").asBoolean(false);

        String[] tokens = new String[vocabSize];
        int[] types = new int[vocabSize];
        for (var e : model.path("vocab").properties())
            set(file, tokens, types, e.getValue().asInt(-1), e.getKey(), NORMAL);
        for (JsonNode a : tj.path("added_tokens"))
            set(
                    file,
                    tokens,
                    types,
                    a.path("id").asInt(-1),
                    a.path("content").asText(),
                    a.path("special").asBoolean(false) ? CONTROL : USER_DEFINED);
        for (int i = 0; i < vocabSize; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (spm
                    && types[i] == NORMAL
                    && BYTE_TOKEN.matcher(tokens[i]).matches()) {
                types[i] = BYTE;
            }
        }
        if (spm && model.hasNonNull("unk_token")) {
            int unk = model.path("vocab").path(model.get("unk_token").asText()).asInt(-1);
            if (unk >= 0 && unk < vocabSize) {
                types[unk] = UNKNOWN;
                out.putU32("tokenizer.ggml.unknown_token_id", unk);
            }
        }

        if (spm) {
            // SentencePiece-style BPE (Llama 2): llama.cpp's SPM tokenizer merges by score; rank order is merge order.
            float[] scores = new float[vocabSize];
            for (int i = 0; i < vocabSize; i++) scores[i] = types[i] == NORMAL ? -i : 0;
            out.putString(TOKENIZER_MODEL, "llama")
                    .putString(TOKENIZER_PRE, "default")
                    .putStrings(TOKENS, Arrays.asList(tokens))
                    .putF32s("tokenizer.ggml.scores", scores)
                    .putI32s(TOKEN_TYPE, types);
        } else {
            List<String> merges = new ArrayList<>();
            for (JsonNode m : model.path("merges"))
                merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
            out.putString(TOKENIZER_MODEL, "gpt2")
                    .putString(TOKENIZER_PRE, preTokenizer(tj))
                    .putStrings(TOKENS, Arrays.asList(tokens))
                    .putI32s(TOKEN_TYPE, types)
                    .putStrings(MERGES, merges);
        }
        specialIds(vocabSize, bos, eos, out);
        Path config = dir.resolve("tokenizer_config.json");
        JsonNode tc = Files.exists(config) ? readJson(config) : JSON.createObjectNode();
        out.putBool(ADD_BOS, tc.has("add_bos_token") ? tc.get("add_bos_token").asBoolean() : postProcessorAddsBos(tj));
        if (tc.has("add_eos_token"))
            out.putBool(ADD_EOS, tc.get("add_eos_token").asBoolean());
        if (tc.path("chat_template").isTextual())
            out.putString(CHAT_TEMPLATE, tc.get("chat_template").asText());
    }

    /**
     * A byte-level vocabulary of {@code vocabSize} tokens: the GPT-2 byte characters of the 128 ASCII bytes first (so
     * llama.cpp can tokenize ASCII text, e.g. the newline it looks up on load), then "[TOKi]" placeholders; no merges.
     */
    public static void synthetic(int vocabSize, int bos, List<Integer> eos, GgufMetadata out) {
        List<String> tokens = new ArrayList<>(vocabSize);
        int[] types = new int[vocabSize];
        char[] byteChars = ByteLevelBpe.byteChars();
        for (int i = 0; i < vocabSize; i++) {
            // Only the ASCII bytes get byte tokens (llama.cpp's loader needs "\n"): a token whose text is a lone byte
            // >= 0x80 ends in an incomplete UTF-8 sequence, which llama-server holds back and then drops from a
            // token-id stream (LlamaServerDialect), so every other id is named in whole characters.
            tokens.add(i < 128 ? String.valueOf(byteChars[i]) : "[TOK" + i + "]");
            types[i] = NORMAL;
        }
        out.putString(TOKENIZER_MODEL, "gpt2")
                .putString(TOKENIZER_PRE, "gpt-2")
                .putStrings(TOKENS, tokens)
                .putI32s(TOKEN_TYPE, types)
                .putStrings(MERGES, List.of());
        specialIds(vocabSize, bos, eos, out);
        out.putBool(ADD_BOS, false);
    }

    private static void specialIds(int vocabSize, int bos, List<Integer> eos, GgufMetadata out) {
        if (bos >= 0 && bos < vocabSize) out.putU32(BOS_ID, bos);
        if (!eos.isEmpty() && eos.getFirst() >= 0 && eos.getFirst() < vocabSize) out.putU32(EOS_ID, eos.getFirst());
    }

    private static void set(Path file, String[] tokens, int[] types, int id, String token, int type)
            throws IOException {
        if (id < 0 || id >= tokens.length)
            throw new IOException(
                    file + ": token '" + token + "' has id " + id + " outside the model's vocab_size " + tokens.length);
        tokens[id] = token;
        types[id] = type;
    }

    /** llama.cpp's name for the pre-tokenizer, from the Split regex of tokenizer.json ("default" when unknown). */
    static String preTokenizer(JsonNode tj) {
        JsonNode pre = tj.path("pre_tokenizer");
        List<JsonNode> parts = new ArrayList<>();
        if ("Sequence".equals(pre.path("type").asText()))
            pre.path("pretokenizers").forEach(parts::add);
        else parts.add(pre);
        for (JsonNode p : parts) {
            String regex = p.path("pattern").path("Regex").asText(null);
            if ("Split".equals(p.path("type").asText()) && regex != null)
                return PRE_BY_REGEX.getOrDefault(regex, "default");
        }
        for (JsonNode p : parts)
            if ("ByteLevel".equals(p.path("type").asText())
                    && p.path("use_regex").asBoolean(true)) return "gpt-2";
        return "default";
    }

    private static boolean postProcessorAddsBos(JsonNode tj) {
        JsonNode pp = tj.path("post_processor");
        List<JsonNode> parts = new ArrayList<>();
        if ("Sequence".equals(pp.path("type").asText())) pp.path("processors").forEach(parts::add);
        else parts.add(pp);
        for (JsonNode p : parts)
            if ("TemplateProcessing".equals(p.path("type").asText())
                    && p.path("single").path(0).has("SpecialToken")) return true;
        return false;
    }

    private static JsonNode readJson(Path file) throws IOException {
        return JsonFiles.read(file, "no such file");
    }
}
