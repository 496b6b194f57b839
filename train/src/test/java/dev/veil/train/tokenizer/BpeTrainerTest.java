package dev.veil.train.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.Fixtures;
import dev.veil.tokenizer.ChatTemplate;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.data.Document;
import dev.veil.train.data.SotuCorpus;
import dev.veil.train.data.Split;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    static List<Document> train;
    static List<Document> heldout;

    @BeforeAll
    static void corpus(@TempDir Path cache) throws IOException {
        Map<Split, List<Document>> splits = SotuCorpus.split(Fixtures.sotuPackage(), cache);
        train = splits.get(Split.TRAIN);
        heldout = splits.get(Split.HELDOUT);
    }

    @Test
    void mergesTheMostFrequentPairFirst() {
        BpeTrainer t = new BpeTrainer(256 + 3 + 3, TrainedBpe.SPECIAL_TOKENS, 1);
        t.add("ab ab ab abc");
        TrainedBpe m = t.train();
        // pieces: "ab", " ab" x2, " abc": (a,b) = 4, then (Ġ,ab) = 3, then (Ġab,c) = 1
        assertThat(m.merges().stream()
                        .map(p -> m.tokens().get(p[0]) + " " + m.tokens().get(p[1])))
                .containsExactly("a b", "Ġ ab", "Ġab c");
        assertThat(m.tokens().subList(256, 262))
                .containsExactly("ab", "Ġab", "Ġabc", "<|endoftext|>", "<|im_start|>", "<|im_end|>");
        assertThat(t.segmentation(" abc")).containsExactly(258);
        assertThat(t.segmentation("ab")).containsExactly(256);
    }

    @Test
    void stopsAtMinFrequency() {
        BpeTrainer t = new BpeTrainer(1000, TrainedBpe.SPECIAL_TOKENS, 2);
        t.add("ab ab ab abc");
        TrainedBpe m = t.train();
        assertThat(m.merges()).hasSize(2);
        assertThat(m.vocabSize()).isEqualTo(256 + 2 + 3);
    }

    @Test
    void rejectsAVocabularyTooSmallForTheBytes() {
        assertThatThrownBy(() -> new BpeTrainer(258, TrainedBpe.SPECIAL_TOKENS, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocab_size 258");
    }

    @Test
    void huggingFaceTokenizersLoadItAndSegmentTrainingTextAsTrainingDid(@TempDir Path dir) throws IOException {
        BpeTrainer t = new BpeTrainer(2048, TrainedBpe.SPECIAL_TOKENS, 2);
        List<Document> docs = train.subList(0, 20);
        docs.forEach(d -> t.add(d.text()));
        TrainedBpe m = t.train();
        m.write(dir, 256);
        assertThat(m.vocabSize()).isEqualTo(2048);
        assertThat(new HashSet<>(m.tokens())).hasSize(2048);

        try (HuggingFaceTokenizer hf =
                HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of("truncation", "false"))) {
            // on text it was trained on, encoding must reproduce training's own segmentation, piece by piece
            String text = docs.get(7).text();
            List<Integer> expected = new ArrayList<>();
            for (String piece : SplitPattern.split(text)) for (int id : t.segmentation(piece)) expected.add(id);
            assertThat(ids(hf, text)).containsExactlyElementsOf(expected);

            // unseen text round-trips; special tokens are single ids
            String unseen = heldout.getLast().text();
            assertThat(hf.decode(hf.encode(unseen, false, false).getIds(), false))
                    .isEqualTo(unseen);
            String chat = "<|endoftext|><|im_start|>user\nHello<|im_end|>\n";
            List<Integer> chatIds = ids(hf, chat);
            assertThat(chatIds.subList(0, 2)).containsExactly(2045, 2046);
            assertThat(chatIds).contains(2047);
        }
    }

    @Test
    void veilsTokenizerAndHuggingFaceGiveIdenticalIds(@TempDir Path dir) throws IOException {
        BpeTrainer t = new BpeTrainer(4096, TrainedBpe.SPECIAL_TOKENS, 2);
        train.subList(0, 60).forEach(d -> t.add(d.text()));
        t.train().write(dir, 256);
        Tokenizer veil = Tokenizer.load(dir);
        try (HuggingFaceTokenizer hf =
                HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"), Map.of("truncation", "false"))) {
            List<String> texts = new ArrayList<>();
            heldout.forEach(d -> texts.add(d.text()));
            texts.add("Unicode: naïve café — 東京 😀, tabs\tand\r\nCRLF,   spaces, 12345678, it's WE'LL <|im_end|>x");
            texts.add(ChatTemplate.load(dir).render(List.of(new ChatTemplate.Message("user", "Hello there!")), true));
            long total = 0;
            for (String text : texts) {
                int[] ours = veil.encode(text);
                assertThat(ours)
                        .as("ids of %s...", text.substring(0, Math.min(40, text.length())))
                        .containsExactly(ids(hf, text).stream()
                                .mapToInt(Integer::intValue)
                                .toArray());
                assertThat(veil.decode(ours)).isEqualTo(text);
                total += ours.length;
            }
            assertThat(total).isGreaterThan(150_000);
        }
        assertThat(veil.vocabSize()).isEqualTo(4096);
        assertThat(veil.bosId()).hasValue(4093);
        assertThat(veil.eosIds()).contains(4093);
        assertThat(ChatTemplate.load(dir).render(List.of(new ChatTemplate.Message("user", "Hi")), true))
                .isEqualTo("<|endoftext|><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void writesAStandardTokenizerConfigWithAChatMLTemplate(@TempDir Path dir) throws IOException {
        BpeTrainer t = new BpeTrainer(300, TrainedBpe.SPECIAL_TOKENS, 1);
        t.add(train.getFirst().text());
        t.train().write(dir, 512);
        JsonNode c =
                new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertThat(c.get("bos_token").asText()).isEqualTo("<|endoftext|>");
        assertThat(c.get("eos_token").asText()).isEqualTo("<|endoftext|>");
        assertThat(c.get("model_max_length").asInt()).isEqualTo(512);
        assertThat(c.get("chat_template").asText()).contains("<|im_start|>").contains("add_generation_prompt");
        assertThat(c.get("added_tokens_decoder").get("297").get("content").asText())
                .isEqualTo("<|endoftext|>");
        JsonNode tj = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
        assertThat(tj.at("/model/type").asText()).isEqualTo("BPE");
        assertThat(tj.at("/model/vocab").size()).isEqualTo(297);
        assertThat(tj.at("/added_tokens/2/id").asInt()).isEqualTo(299);
    }

    private static List<Integer> ids(HuggingFaceTokenizer hf, String text) {
        long[] ids = hf.encode(text, false, false).getIds();
        return IntStream.range(0, ids.length).mapToObj(i -> (int) ids[i]).toList();
    }
}
