package dev.veil.model.gguf;

import static dev.veil.model.gguf.GgufKeys.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.ByteLevelBpe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The reverse of {@link GgufVocab}: a Hugging Face tokenizer.json (+ tokenizer_config.json) rebuilt from a GGUF's
 * byte-level BPE vocabulary (tokenizer.ggml.model = gpt2), so that {@code veil convert --to hf} gives a directory a
 * tokenizer can load. SentencePiece vocabularies and Veil's synthetic ones (no merges) are not converted.
 */
public final class GgufTokenizerJson {
    private GgufTokenizerJson() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LLAMA3_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** True when {@code g} holds a vocabulary this class can turn into a tokenizer.json. */
    public static boolean convertible(GgufFile g) {
        return "gpt2".equals(g.getString(TOKENIZER_MODEL, ""))
                && g.contains(TOKENS)
                && g.contains(MERGES)
                && !g.getStringList(MERGES).isEmpty();
    }

    /** Writes {@code dir/tokenizer.json} and {@code dir/tokenizer_config.json}; false (nothing written) if not {@link #convertible}. */
    public static boolean write(GgufFile g, Path dir) throws IOException {
        if (!convertible(g)) return false;
        Files.createDirectories(dir);
        ObjectNode tj = tokenizerJson(g);
        Files.writeString(
                dir.resolve("tokenizer.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tj));
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerConfig(g)));
        return true;
    }

    static ObjectNode tokenizerJson(GgufFile g) {
        List<String> tokens = g.getStringList(TOKENS);
        int[] types = g.contains(TOKEN_TYPE) ? g.getIntArray(TOKEN_TYPE) : new int[tokens.size()];
        String pre = g.getString(TOKENIZER_PRE, "default");

        ObjectNode tj = JSON.createObjectNode();
        ArrayNode added = ByteLevelBpe.putHeader(tj);
        for (int i = 0; i < tokens.size(); i++)
            if (types[i] == GgufVocab.CONTROL || types[i] == GgufVocab.USER_DEFINED)
                ByteLevelBpe.addToken(added, i, tokens.get(i), types[i] == GgufVocab.CONTROL);
        if (pre.equals("qwen2")) tj.putObject("normalizer").put("type", "NFC");
        else tj.putNull("normalizer");
        String regex = switch (pre) {
            case "llama-bpe", "llama3", "llama-v3" -> LLAMA3_REGEX;
            case "qwen2" -> QWEN2_REGEX;
            default -> null;
        };
        ByteLevelBpe.putPreTokenizer(tj, regex);
        int bos = g.getInt(BOS_ID, -1);
        if (addsBos(g) && bos >= 0 && bos < tokens.size()) {
            String b = tokens.get(bos);
            ObjectNode pp = tj.putObject("post_processor");
            pp.put("type", "TemplateProcessing");
            ArrayNode single = pp.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", b).put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            ArrayNode pair = pp.putArray("pair");
            pair.addObject().putObject("SpecialToken").put("id", b).put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", b).put("type_id", 1);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            ObjectNode st = pp.putObject("special_tokens").putObject(b);
            st.put("id", b);
            st.putArray("ids").add(bos);
            st.putArray("tokens").add(b);
        } else {
            tj.putNull("post_processor");
        }
        ObjectNode model = ByteLevelBpe.putDecoderAndModel(tj, LLAMA3_REGEX.equals(regex));
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++)
            if (types[i] == 0
                    || types[i] == GgufVocab.NORMAL
                    || types[i] == GgufVocab.BYTE
                    || types[i] == GgufVocab.UNKNOWN) vocab.put(tokens.get(i), i);
        ArrayNode merges = model.putArray("merges");
        g.getStringList(MERGES).forEach(merges::add);
        return tj;
    }

    /** add_bos_token, defaulting as llama.cpp's llama_vocab::load does: on for the Llama 3 pre-tokenizer family. */
    static boolean addsBos(GgufFile g) {
        String pre = g.getString(TOKENIZER_PRE, "default");
        return g.getBoolean(ADD_BOS, pre.equals("llama-bpe") || pre.equals("llama3") || pre.equals("llama-v3"));
    }

    static ObjectNode tokenizerConfig(GgufFile g) {
        List<String> tokens = g.getStringList(TOKENS);
        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        tc.put("add_bos_token", addsBos(g));
        int bos = g.getInt(BOS_ID, -1), eos = g.getInt(EOS_ID, -1);
        if (bos >= 0 && bos < tokens.size()) tc.put("bos_token", tokens.get(bos));
        if (eos >= 0 && eos < tokens.size()) tc.put("eos_token", tokens.get(eos));
        if (g.contains(CHAT_TEMPLATE)) tc.put("chat_template", g.getString(CHAT_TEMPLATE));
        return tc;
    }
}
