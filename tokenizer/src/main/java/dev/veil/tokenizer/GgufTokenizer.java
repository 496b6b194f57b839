package dev.veil.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Builds a {@link Tokenizer} from GGUF vocabulary metadata the way llama.cpp (llama-vocab.cpp) interprets it:
 * {@code tokenizer.ggml.model} "llama" is SentencePiece by score with byte fallback and a space prefix,
 * "gpt2" is byte-level BPE by merge rank with the pre-tokenizer regexes that {@code tokenizer.ggml.pre} names.
 * Control and user-defined tokens are cut out of the text first; control ones only when parsing specials.
 */
final class GgufTokenizer {
    private static final String PREFIX = "tokenizer.ggml.";

    // llama.cpp's token types (llama_token_type)
    private static final int UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /** Token texts llama.cpp also treats as end of generation (its EOG list), when the vocabulary has them. */
    private static final List<String> END_OF_GENERATION = List.of(
            "<|eot_id|>",
            "<|im_end|>",
            "<|end|>",
            "<end_of_turn>",
            "<|endoftext|>",
            "<|eom_id|>",
            "<EOT>",
            "<|end_of_text|>");

    private final Map<String, Object> metadata;

    private GgufTokenizer(Map<String, Object> metadata) {
        this.metadata = metadata;
    }

    static Tokenizer tokenizer(Map<String, Object> metadata) {
        return new GgufTokenizer(metadata).build();
    }

    private Tokenizer build() {
        String model = string("model", null);
        if (model == null) throw fail("model", "missing: this GGUF has no vocabulary");
        boolean spm = switch (model) {
            case "llama" -> true;
            case "gpt2" -> false;
            default -> throw fail("model", "'" + model + "' is not supported (llama = SentencePiece, gpt2 = BPE)");
        };
        List<String> tokenList = stringList("tokens");
        String[] tokens = tokenList.toArray(String[]::new);
        int n = tokens.length;
        int[] types = metadata.get(PREFIX + "token_type") instanceof int[] t ? t : null;
        if (types != null && types.length < n) throw fail("token_type", types.length + " entries for " + n + " tokens");
        Vocabulary vocab = new Vocabulary(tokens);

        List<AddedToken> added = new ArrayList<>();
        Set<Integer> special = new LinkedHashSet<>();
        for (int id = 0; id < n && types != null; id++) {
            int type = types[id];
            if (type == CONTROL || type == UNKNOWN) special.add(id);
            if (type == CONTROL || type == UNKNOWN || type == USER_DEFINED)
                added.add(new AddedToken(id, tokens[id], type != USER_DEFINED, false, false, false, false));
        }

        String pre = string("pre", "default");
        boolean addSpacePrefix = bool("add_space_prefix", spm);
        boolean addBos = bool("add_bos_token", spm || isLlama3(pre));
        boolean addEos = bool("add_eos_token", false);
        OptionalInt bos = id("bos_token_id", n);
        OptionalInt eos = id("eos_token_id", n);
        if (addBos && bos.isEmpty()) throw fail("bos_token_id", "missing, but add_bos_token is set");
        if (addEos && eos.isEmpty()) throw fail("eos_token_id", "missing, but add_eos_token is set");

        TextNormalizer normalizer;
        PreTokenizer preTokenizer;
        TokenModel tokenModel;
        if (spm) {
            normalizer = addSpacePrefix
                    ? TextNormalizer.sequence(List.of(TextNormalizer.replace(" ", "▁"), TextNormalizer.prepend("▁")))
                    : TextNormalizer.replace(" ", "▁");
            preTokenizer = PreTokenizer.NONE;
            float[] scores = scores(n);
            tokenModel = new SentencePieceModel(
                    vocab, scores, id("unknown_token_id", n).orElse(-1));
        } else {
            normalizer = TextNormalizer.NONE;
            preTokenizer = PreTokenizer.sequence(
                    List.of(SplitRegex.isolatingAll(regexesFor(pre)), PreTokenizer.byteLevel(false, null)));
            tokenModel = new BpeModel(vocab, merges(vocab), isLlama3(pre), false, -1, false);
        }

        byte[][] pieces = new byte[n][];
        for (int id = 0; id < n; id++) pieces[id] = piece(tokens[id], types == null ? 1 : types[id], spm);

        Set<Integer> eosIds = new LinkedHashSet<>();
        eos.ifPresent(eosIds::add);
        id("eot_token_id", n).ifPresent(eosIds::add);
        id("eom_token_id", n).ifPresent(eosIds::add);
        for (String text : END_OF_GENERATION) if (vocab.id(text) >= 0) eosIds.add(vocab.id(text));

        Set<Integer> specialIds = Set.copyOf(special);
        return new Tokenizer(new Tokenizer.Parts(
                vocab,
                new AddedTokenSplitter(added),
                new AddedTokenSplitter(List.of()),
                normalizer,
                preTokenizer,
                tokenModel,
                new Detokenizer(pieces, specialIds::contains, spm && addSpacePrefix ? 1 : 0),
                addBos ? new int[] {bos.getAsInt()} : new int[0],
                addEos ? new int[] {eos.getAsInt()} : new int[0],
                specialIds,
                bos,
                Set.copyOf(eosIds),
                metadata.get("tokenizer.chat_template") instanceof String t ? t : null,
                bos.isPresent() ? tokens[bos.getAsInt()] : null,
                eos.isPresent() ? tokens[eos.getAsInt()] : null));
    }

    private static boolean isLlama3(String pre) {
        return pre.equals("llama3") || pre.equals("llama-v3") || pre.equals("llama-bpe");
    }

    /** The pre-tokenizer regexes llama.cpp uses for a tokenizer.ggml.pre value (the families Veil supports). */
    private List<String> regexesFor(String pre) {
        return switch (pre) {
            case "llama3", "llama-v3", "llama-bpe" -> List.of(SplitRegex.LLAMA3);
            case "qwen2", "deepseek-r1-qwen" -> List.of(SplitRegex.QWEN2);
            case "gpt-2", "phi-2" -> List.of(SplitRegex.LLAMA_CPP_GPT2);
            case "default" -> SplitRegex.LLAMA_CPP_DEFAULT;
            default -> throw fail("pre", "'" + pre + "' is not supported (llama-bpe, qwen2, gpt-2, default)");
        };
    }

    /** What one token contributes to decoded text, as llama.cpp's token_to_piece (with special tokens rendered). */
    private static byte[] piece(String token, int type, boolean spm) {
        return switch (type) {
            case UNUSED -> new byte[0];
            case BYTE ->
                token.matches("<0x[0-9A-Fa-f]{2}>")
                        ? new byte[] {(byte) Integer.parseInt(token.substring(3, 5), 16)}
                        : token.getBytes(StandardCharsets.UTF_8);
            case CONTROL, UNKNOWN, USER_DEFINED -> token.getBytes(StandardCharsets.UTF_8);
            default -> spm ? token.replace('▁', ' ').getBytes(StandardCharsets.UTF_8) : ByteLevel.decodeOrUtf8(token);
        };
    }

    private MergeTable merges(Vocabulary vocab) {
        List<String> merges = stringList("merges");
        MergeTable table = new MergeTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int space = m.indexOf(' ', 1);
            if (space < 0) throw fail("merges[" + rank + "]", "'" + m + "' is not 'left right'");
            String left = m.substring(0, space), right = m.substring(space + 1);
            int l = vocab.id(left), r = vocab.id(right), merged = vocab.id(left + right);
            // A merge whose result is no token can never take part in a tokenization that ends in tokens.
            if (l >= 0 && r >= 0 && merged >= 0) table.put(l, r, rank, merged);
        }
        return table;
    }

    private float[] scores(int n) {
        Object scores = metadata.get(PREFIX + "scores");
        if (scores instanceof float[] f) {
            if (f.length < n) throw fail("scores", f.length + " entries for " + n + " tokens");
            return f;
        }
        if (scores instanceof int[] ints) {
            if (ints.length < n) throw fail("scores", ints.length + " entries for " + n + " tokens");
            float[] f = new float[ints.length];
            for (int i = 0; i < ints.length; i++) f[i] = ints[i];
            return f;
        }
        if (scores == null) return new float[n];
        throw fail("scores", "expected a float array, got " + scores.getClass().getSimpleName());
    }

    private String string(String key, String fallback) {
        Object v = metadata.get(PREFIX + key);
        if (v == null) return fallback;
        if (v instanceof String s) return s;
        throw fail(key, "expected a string, got " + v.getClass().getSimpleName());
    }

    private boolean bool(String key, boolean fallback) {
        Object v = metadata.get(PREFIX + key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        throw fail(key, "expected a boolean, got " + v.getClass().getSimpleName());
    }

    private OptionalInt id(String key, int vocabSize) {
        Object v = metadata.get(PREFIX + key);
        if (v == null) return OptionalInt.empty();
        if (!(v instanceof Number number))
            throw fail(key, "expected an integer, got " + v.getClass().getSimpleName());
        long id = number.longValue();
        if (id < 0 || id >= vocabSize) throw fail(key, id + " is outside the vocabulary of " + vocabSize + " tokens");
        return OptionalInt.of((int) id);
    }

    private List<String> stringList(String key) {
        Object v = metadata.get(PREFIX + key);
        if (v == null) throw fail(key, "missing");
        if (!(v instanceof List<?> list))
            throw fail(key, "expected an array of strings, got " + v.getClass().getSimpleName());
        List<String> strings = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof String s)) throw fail(key, "expected an array of strings");
            strings.add(s);
        }
        return strings;
    }

    private static IllegalArgumentException fail(String key, String problem) {
        return new IllegalArgumentException("GGUF " + PREFIX + key + ": " + problem);
    }
}
