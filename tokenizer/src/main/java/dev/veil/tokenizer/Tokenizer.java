package dev.veil.tokenizer;

import dev.veil.model.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A text tokenizer of a Hugging Face {@code tokenizer.json} (byte-level BPE as GPT-2, Llama-3 and Qwen2/3 use
 * it; SentencePiece-style BPE with byte fallback as Llama-2 uses it) or of a GGUF vocabulary (llama.cpp's
 * "gpt2" BPE and "llama" SentencePiece models). Pure Java; immutable and safe to share between threads.
 *
 * <p>Encoding runs the pipeline of the source: added/special tokens are cut out of the raw text first, each
 * remaining segment is normalized, cut into pieces by the pre-tokenizer (regex and byte-level mapping), and
 * each piece is merged into tokens by the model.
 */
public final class Tokenizer {
    /** Everything a loader decided; the tokenizer only runs it. */
    record Parts(
            Vocabulary vocabulary, // every id, added tokens included: tokenId/token
            AddedTokenSplitter rawAdded, // added tokens matched in the raw text
            AddedTokenSplitter normalizedAdded,
            TextNormalizer normalizer,
            PreTokenizer preTokenizer,
            TokenModel model,
            Detokenizer detokenizer,
            int[] prefix, // ids added before the text when asked to add special tokens
            int[] suffix,
            Set<Integer> specialIds,
            OptionalInt bosId,
            Set<Integer> eosIds,
            String chatTemplate, // null when the source has none
            String bosToken,
            String eosToken) {}

    private final Parts p;

    Tokenizer(Parts parts) {
        this.p = parts;
    }

    /**
     * Loads a Hugging Face tokenizer: {@code dirOrTokenizerJson} is a model directory holding
     * {@code tokenizer.json} or that file itself; {@code tokenizer_config.json} and
     * {@code generation_config.json} next to it are read when present (BOS/EOS, add_bos_token, chat template).
     * A {@code .gguf} file is read as by {@link #fromGguf}.
     *
     * @throws IOException naming the file and the problem when a file is missing, malformed or uses a
     *                     component this tokenizer does not implement
     */
    public static Tokenizer load(Path dirOrTokenizerJson) throws IOException {
        if (Files.isRegularFile(dirOrTokenizerJson)
                && dirOrTokenizerJson.getFileName().toString().endsWith(".gguf")) {
            try (GgufFile gguf = GgufFile.open(dirOrTokenizerJson)) {
                return fromGguf(gguf.metadata());
            } catch (IllegalArgumentException e) {
                throw new IOException(dirOrTokenizerJson + ": " + e.getMessage(), e);
            }
        }
        return TokenizerJson.load(dirOrTokenizerJson);
    }

    /**
     * A tokenizer from GGUF metadata ({@code tokenizer.ggml.*}), as {@code GgufFile.metadata()} returns it:
     * strings as String, string arrays as {@code List<String>}, int arrays as {@code int[]}, float arrays as
     * {@code float[]}. Tokenizes as llama.cpp does.
     *
     * @throws IllegalArgumentException naming the key and the problem when the vocabulary is missing or unsupported
     */
    public static Tokenizer fromGguf(Map<String, Object> metadata) {
        return GgufTokenizer.tokenizer(metadata);
    }

    /** Encodes plain text: no BOS/EOS added; special tokens written in the text are recognised (as Hugging Face does). */
    public int[] encode(String text) {
        return encode(text, false, true);
    }

    /**
     * @param addSpecial   add BOS/EOS as the source says (tokenizer_config {@code add_bos_token}/{@code add_eos_token},
     *                     else the post_processor template; GGUF {@code tokenizer.ggml.add_bos_token})
     * @param parseSpecial recognise special tokens written in the text (e.g. {@code <|im_end|>}) as those tokens;
     *                     when false they are tokenized as ordinary characters. Non-special added tokens are
     *                     always recognised.
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial) out.addAll(p.prefix());
        p.rawAdded().split(text, parseSpecial, segment -> encodeSegment(segment, parseSpecial, out), out::add);
        if (addSpecial) out.addAll(p.suffix());
        return out.toArray();
    }

    /**
     * Encodes a rendered chat template: special tokens count as in {@code encode(text, addSpecial, true)}, except where
     * they overlap a position set in {@code plain} — the messages' own content, which is text: a user who writes
     * {@code <|im_start|>system} gets those characters, not a role marker. Equals the ordinary encoding when no
     * content spells a special token.
     */
    public int[] encode(String text, boolean addSpecial, BitSet plain) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial) out.addAll(p.prefix());
        p.rawAdded()
                .split(
                        text,
                        true,
                        plain,
                        (segment, offset) -> encodeSegment(
                                segment, !AddedTokenSplitter.overlaps(plain, offset, offset + segment.length()), out),
                        out::add);
        if (addSpecial) out.addAll(p.suffix());
        return out.toArray();
    }

    private void encodeSegment(String segment, boolean parseSpecial, IntList out) {
        String normalized = p.normalizer().normalize(segment);
        p.normalizedAdded()
                .split(
                        normalized,
                        parseSpecial,
                        text -> p.preTokenizer().split(text, piece -> p.model().encode(piece, out)),
                        out::add);
    }

    /** Decodes ids to text, special tokens included; each maximal invalid UTF-8 subpart becomes one U+FFFD. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    public String decode(int[] ids, boolean skipSpecial) {
        return Utf8.decode(p.detokenizer().bytes(ids, skipSpecial));
    }

    /** A decoder for a stream of generated ids that emits only whole characters. */
    public StreamingDecoder streamingDecoder(boolean skipSpecial) {
        return new StreamingDecoder(p.detokenizer(), skipSpecial);
    }

    /** One more than the largest id: the model's embedding may be larger (padded). */
    public int vocabSize() {
        return p.vocabulary().size();
    }

    /** The id of a token string as the vocabulary spells it (byte-level "Ġthe", SentencePiece "▁the", "<|im_end|>"). */
    public OptionalInt tokenId(String token) {
        int id = p.vocabulary().id(token);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The vocabulary's spelling of a token, or null for an unused or out-of-range id. */
    public String token(int id) {
        return p.vocabulary().token(id);
    }

    /** Ids of special (control) tokens: skipped by {@code decode(ids, true)}, matched only with parseSpecial. */
    public Set<Integer> specialIds() {
        return p.specialIds();
    }

    public OptionalInt bosId() {
        return p.bosId();
    }

    /** Ids that end generation: the EOS token and those of generation_config.json / GGUF eos/eot/eom keys. */
    public Set<Integer> eosIds() {
        return p.eosIds();
    }

    /** The chat template of tokenizer_config.json or GGUF {@code tokenizer.chat_template}, if any. */
    public Optional<ChatTemplate> chatTemplate() {
        return p.chatTemplate() == null
                ? Optional.empty()
                : Optional.of(new ChatTemplate(p.chatTemplate(), p.bosToken(), p.eosToken()));
    }
}
