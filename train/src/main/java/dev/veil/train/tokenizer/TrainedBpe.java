package dev.veil.train.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.model.ByteLevelBpe;
import dev.veil.train.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A trained byte-level BPE tokenizer: tokens by id (byte-level strings; special tokens last) and the merges in
 * rank order. Written as the standard Hugging Face pair {@code tokenizer.json} + {@code tokenizer_config.json}.
 */
public record TrainedBpe(List<String> tokens, List<int[]> merges, List<String> specialTokens) {

    /** Beginning and end of a document; also the padding token. */
    public static final String ENDOFTEXT = "<|endoftext|>";

    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final List<String> SPECIAL_TOKENS = List.of(ENDOFTEXT, IM_START, IM_END);

    /** ChatML, opened with the document-start token the model saw before every training document. */
    public static final String CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();

    public TrainedBpe {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        specialTokens = List.copyOf(specialTokens);
    }

    public int vocabSize() {
        return tokens.size();
    }

    public int id(String token) {
        int id = tokens.indexOf(token);
        if (id < 0) throw new IllegalArgumentException("no token " + token);
        return id;
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir} (each atomically). */
    public void write(Path dir, int modelMaxLength) throws IOException {
        Files.createDirectories(dir);
        String tokenizer = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerJson());
        AtomicFiles.write(dir.resolve("tokenizer.json"), tmp -> Files.writeString(tmp, tokenizer));
        String config = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerConfig(modelMaxLength));
        AtomicFiles.write(dir.resolve("tokenizer_config.json"), tmp -> Files.writeString(tmp, config));
    }

    ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = ByteLevelBpe.putHeader(root);
        for (String s : specialTokens) ByteLevelBpe.addToken(added, id(s), s, true);
        root.putNull("normalizer");
        ByteLevelBpe.putPreTokenizer(root, SplitPattern.PATTERN);
        root.putNull("post_processor");
        ObjectNode model = ByteLevelBpe.putDecoderAndModel(root, false);
        ObjectNode vocab = model.putObject("vocab");
        int learned = tokens.size() - specialTokens.size();
        for (int id = 0; id < learned; id++) vocab.put(tokens.get(id), id);
        ArrayNode mergeList = model.putArray("merges");
        for (int[] m : merges) mergeList.add(tokens.get(m[0]) + " " + tokens.get(m[1]));
        return root;
    }

    ObjectNode tokenizerConfig(int modelMaxLength) {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_bos_token", false).put("add_eos_token", false);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        for (String s : specialTokens) {
            decoder.putObject(Integer.toString(id(s)))
                    .put("content", s)
                    .put("lstrip", false)
                    .put("normalized", false)
                    .put("rstrip", false)
                    .put("single_word", false)
                    .put("special", true);
        }
        ArrayNode extra = c.putArray("additional_special_tokens");
        specialTokens.stream().filter(s -> !s.equals(ENDOFTEXT)).forEach(extra::add);
        c.put("bos_token", ENDOFTEXT)
                .put("eos_token", ENDOFTEXT)
                .put("pad_token", ENDOFTEXT)
                .putNull("unk_token");
        c.put("chat_template", CHAT_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("model_max_length", modelMaxLength);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        return c;
    }
}
