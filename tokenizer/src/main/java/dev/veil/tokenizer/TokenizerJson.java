package dev.veil.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a Hugging Face {@code tokenizer.json} (with {@code tokenizer_config.json} and
 * {@code generation_config.json} beside it when present) into a {@link Tokenizer}. Implements the
 * components byte-level BPE and SentencePiece-style BPE tokenizers use; any other component is refused with
 * an error that names it.
 */
final class TokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final JsonNode root;
    private final JsonNode config; // tokenizer_config.json, or null
    private final JsonNode generation; // generation_config.json, or null

    private TokenizerJson(Path file, JsonNode root, JsonNode config, JsonNode generation) {
        this.file = file;
        this.root = root;
        this.config = config;
        this.generation = generation;
    }

    static Tokenizer load(Path dirOrFile) throws IOException {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        if (!Files.isRegularFile(file))
            throw new NoSuchFileException(file.toString(), null, "no tokenizer.json: the tokenizer cannot be loaded");
        Path dir = file.toAbsolutePath().getParent();
        JsonNode root = read(file);
        JsonNode config = Files.isRegularFile(dir.resolve("tokenizer_config.json"))
                ? read(dir.resolve("tokenizer_config.json"))
                : null;
        JsonNode generation = Files.isRegularFile(dir.resolve("generation_config.json"))
                ? read(dir.resolve("generation_config.json"))
                : null;
        try {
            return new TokenizerJson(file, root, config, generation).build();
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode read(Path file) throws IOException {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) throw new IOException(file + ": not a JSON object");
            return node;
        } catch (JacksonException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (CharConversionException e) { // Jackson took the bytes for UTF-32
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    private Tokenizer build() throws IOException {
        JsonNode model = root.path("model");
        if (!model.isObject()) throw fail("model", "missing");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw fail("model.type", "'" + type + "' is not supported (only BPE)");
        for (String field : List.of("continuing_subword_prefix", "end_of_word_suffix"))
            if (!model.path(field).asText("").isEmpty()) throw fail("model." + field, "is not supported");
        if (!model.path("dropout").isNull()
                && !model.path("dropout").isMissingNode()
                && model.path("dropout").asDouble() != 0)
            throw fail("model.dropout", "BPE dropout is not supported (it makes encoding random)");

        String[] modelTokens = modelTokens(model.path("vocab"));
        Vocabulary modelVocab = new Vocabulary(modelTokens);
        MergeTable merges = merges(model.path("merges"), modelVocab);
        String unkToken =
                model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        int unkId = unkToken == null ? -1 : modelVocab.id(unkToken);
        BpeModel bpe = new BpeModel(
                modelVocab,
                merges,
                model.path("ignore_merges").asBoolean(false),
                model.path("byte_fallback").asBoolean(false),
                unkId,
                model.path("fuse_unk").asBoolean(false));

        List<AddedToken> added = addedTokens();
        int size = modelTokens.length;
        for (AddedToken t : added) size = Math.max(size, t.id() + 1);
        String[] allTokens = Arrays.copyOf(modelTokens, size);
        for (AddedToken t : added) allTokens[t.id()] = t.content();
        Vocabulary vocabulary = new Vocabulary(allTokens);

        TextNormalizer normalizer = normalizer(root.path("normalizer"), "normalizer");
        List<AddedToken> rawAdded = added.stream().filter(t -> !t.normalized()).toList();
        List<AddedToken> normalizedAdded = added.stream()
                .filter(AddedToken::normalized)
                .map(t -> new AddedToken(
                        t.id(),
                        normalizer.normalize(t.content()),
                        t.special(),
                        t.lstrip(),
                        t.rstrip(),
                        t.singleWord(),
                        true))
                .toList();

        Set<Integer> specialIds = new LinkedHashSet<>();
        for (AddedToken t : added) if (t.special()) specialIds.add(t.id());
        Set<Integer> special = Set.copyOf(specialIds);

        Decoding decoding = decoding(root.path("decoder"), "decoder");
        byte[][] pieces = new byte[size][];
        for (int id = 0; id < size; id++)
            if (allTokens[id] != null) pieces[id] = Detokenizer.piece(allTokens[id], decoding.steps());

        String bosToken = configToken("bos_token");
        String eosToken = configToken("eos_token");
        int[][] template = postProcessorTemplate(root.path("post_processor"), "post_processor");
        int[] prefix = template[0], suffix = template[1];
        if (config != null && (config.has("add_bos_token") || config.has("add_eos_token"))) {
            // transformers' Llama/Qwen tokenizer classes rebuild the post-processor from these flags
            prefix = config.path("add_bos_token").asBoolean(false)
                    ? idsOf(vocabulary, bosToken, "add_bos_token")
                    : new int[0];
            suffix = config.path("add_eos_token").asBoolean(false)
                    ? idsOf(vocabulary, eosToken, "add_eos_token")
                    : new int[0];
        }

        OptionalInt bosId = bosToken != null && vocabulary.id(bosToken) >= 0
                ? OptionalInt.of(vocabulary.id(bosToken))
                : generation != null && generation.path("bos_token_id").isInt()
                        ? OptionalInt.of(generation.path("bos_token_id").asInt())
                        : OptionalInt.empty();
        Set<Integer> eosIds = new LinkedHashSet<>();
        if (eosToken != null && vocabulary.id(eosToken) >= 0) eosIds.add(vocabulary.id(eosToken));
        if (generation != null) {
            JsonNode eos = generation.path("eos_token_id");
            if (eos.isInt()) eosIds.add(eos.asInt());
            for (JsonNode e : eos) if (e.isInt()) eosIds.add(e.asInt());
        }

        return new Tokenizer(new Tokenizer.Parts(
                vocabulary,
                new AddedTokenSplitter(rawAdded),
                new AddedTokenSplitter(normalizedAdded),
                normalizer,
                preTokenizer(root.path("pre_tokenizer"), "pre_tokenizer"),
                bpe,
                new Detokenizer(pieces, special::contains, decoding.stripLeadingSpaces()),
                prefix,
                suffix,
                special,
                bosId,
                Set.copyOf(eosIds),
                chatTemplate(),
                bosToken,
                eosToken));
    }

    private String[] modelTokens(JsonNode vocab) throws IOException {
        if (!vocab.isObject() || vocab.isEmpty()) throw fail("model.vocab", "missing or empty");
        int size = 0;
        for (JsonNode id : vocab) {
            if (!id.canConvertToInt() || id.asInt() < 0)
                throw fail("model.vocab", "ids must be non-negative integers, got " + id);
            size = Math.max(size, id.asInt() + 1);
        }
        String[] tokens = new String[size];
        for (Map.Entry<String, JsonNode> e : vocab.properties())
            tokens[e.getValue().asInt()] = e.getKey();
        return tokens;
    }

    /** Merges as "left right" strings (older files) or [left, right] pairs (newer files); rank = position. */
    private MergeTable merges(JsonNode list, Vocabulary vocab) throws IOException {
        if (!list.isArray()) throw fail("model.merges", "missing");
        MergeTable table = new MergeTable(list.size());
        for (int rank = 0; rank < list.size(); rank++) {
            JsonNode m = list.get(rank);
            String left, right;
            if (m.isTextual()) {
                String s = m.asText();
                int space = s.indexOf(' ', 1);
                if (space < 0) throw fail("model.merges[" + rank + "]", "'" + s + "' is not 'left right'");
                left = s.substring(0, space);
                right = s.substring(space + 1);
            } else if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else {
                throw fail("model.merges[" + rank + "]", "expected \"left right\" or [left, right], got " + m);
            }
            int l = vocab.id(left), r = vocab.id(right), merged = vocab.id(left + right);
            if (l < 0 || r < 0 || merged < 0)
                throw fail(
                        "model.merges[" + rank + "]",
                        "'" + left + "' + '" + right + "': a part or the merge is not in the vocabulary");
            table.put(l, r, rank, merged);
        }
        return table;
    }

    private List<AddedToken> addedTokens() throws IOException {
        List<AddedToken> tokens = new ArrayList<>();
        JsonNode list = root.path("added_tokens");
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            if (!t.path("id").canConvertToInt() || !t.path("content").isTextual())
                throw fail("added_tokens[" + i + "]", "needs an integer id and a string content");
            tokens.add(new AddedToken(
                    t.path("id").asInt(),
                    t.path("content").asText(),
                    t.path("special").asBoolean(false),
                    t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false),
                    t.path("single_word").asBoolean(false),
                    t.path("normalized").asBoolean(!t.path("special").asBoolean(false))));
        }
        return tokens;
    }

    private TextNormalizer normalizer(JsonNode n, String field) throws IOException {
        if (n.isNull() || n.isMissingNode()) return TextNormalizer.NONE;
        String type = n.path("type").asText();
        return switch (type) {
            case "NFC" -> TextNormalizer.unicode(Normalizer.Form.NFC);
            case "NFD" -> TextNormalizer.unicode(Normalizer.Form.NFD);
            case "NFKC" -> TextNormalizer.unicode(Normalizer.Form.NFKC);
            case "NFKD" -> TextNormalizer.unicode(Normalizer.Form.NFKD);
            case "Prepend" -> TextNormalizer.prepend(n.path("prepend").asText());
            case "Replace" ->
                TextNormalizer.replace(
                        literalPattern(n.path("pattern"), field),
                        n.path("content").asText());
            case "Sequence" -> TextNormalizer.sequence(each(n, "normalizers", field, this::normalizer));
            default -> throw fail(field, "normalizer type '" + type + "' is not supported");
        };
    }

    private PreTokenizer preTokenizer(JsonNode n, String field) throws IOException {
        if (n.isNull() || n.isMissingNode()) return PreTokenizer.NONE;
        String type = n.path("type").asText();
        return switch (type) {
            case "Split" -> {
                if (n.path("invert").asBoolean(false)) throw fail(field + ".invert", "true is not supported");
                String behavior = n.path("behavior").asText();
                if (!behavior.equals("Isolated") && !behavior.equals("Removed"))
                    throw fail(field + ".behavior", "'" + behavior + "' is not supported (Isolated, Removed)");
                JsonNode pattern = n.path("pattern");
                Pattern regex = pattern.has("Regex")
                        ? compile(pattern.path("Regex").asText(), field)
                        : Pattern.compile(Pattern.quote(literalPattern(pattern, field)));
                yield PreTokenizer.regex(regex, behavior.equals("Isolated"));
            }
            case "ByteLevel" ->
                PreTokenizer.byteLevel(
                        n.path("add_prefix_space").asBoolean(false),
                        n.path("use_regex").asBoolean(true) ? compile(SplitRegex.GPT2, field) : null);
            case "Sequence" -> PreTokenizer.sequence(each(n, "pretokenizers", field, this::preTokenizer));
            default -> throw fail(field, "pre-tokenizer type '" + type + "' is not supported");
        };
    }

    private interface Part<T> {
        T read(JsonNode n, String field) throws IOException;
    }

    /** A Sequence's steps: each element of {@code n.key}, read by {@code part}, errors naming {@code field.key[i]}. */
    private static <T> List<T> each(JsonNode n, String key, String field, Part<T> part) throws IOException {
        List<T> steps = new ArrayList<>();
        JsonNode list = n.path(key);
        for (int i = 0; i < list.size(); i++) steps.add(part.read(list.get(i), field + "." + key + "[" + i + "]"));
        return steps;
    }

    private Pattern compile(String regex, String field) throws IOException {
        try {
            return SplitRegex.compile(regex);
        } catch (IllegalArgumentException e) {
            throw fail(field + ".pattern", e.getMessage());
        }
    }

    /** The decoder as per-token steps plus the leading spaces a Strip step removes from the text. */
    private record Decoding(List<Detokenizer.Step> steps, int stripLeadingSpaces) {}

    private Decoding decoding(JsonNode n, String field) throws IOException {
        List<Detokenizer.Step> steps = new ArrayList<>();
        int strip = addDecoder(n, field, steps);
        return new Decoding(List.copyOf(steps), strip);
    }

    private int addDecoder(JsonNode n, String field, List<Detokenizer.Step> steps) throws IOException {
        if (n.isNull() || n.isMissingNode()) return 0;
        String type = n.path("type").asText();
        switch (type) {
            case "ByteLevel" -> steps.add(new Detokenizer.Step.ByteLevelBytes());
            case "ByteFallback" -> steps.add(new Detokenizer.Step.ByteFallback());
            case "Fuse" -> {} // the pieces are concatenated anyway
            case "Replace" -> {
                String from = literalPattern(n.path("pattern"), field),
                        to = n.path("content").asText();
                steps.add(new Detokenizer.Step.Rewrite(s -> s.replace(from, to)));
            }
            case "Strip" -> {
                if (!n.path("content").asText().equals(" ") || n.path("stop").asInt(0) != 0)
                    throw fail(field, "only Strip of leading spaces is supported");
                return n.path("start").asInt(0);
            }
            case "Sequence" -> {
                int strip = 0;
                JsonNode list = n.path("decoders");
                for (int i = 0; i < list.size(); i++)
                    strip += addDecoder(list.get(i), field + ".decoders[" + i + "]", steps);
                return strip;
            }
            default -> throw fail(field, "decoder type '" + type + "' is not supported");
        }
        return 0;
    }

    /** [prefix ids, suffix ids] of the single-sequence template; nothing for ByteLevel or no post-processor. */
    private int[][] postProcessorTemplate(JsonNode n, String field) throws IOException {
        int[][] none = {new int[0], new int[0]};
        if (n.isNull() || n.isMissingNode()) return none;
        String type = n.path("type").asText();
        switch (type) {
            case "ByteLevel":
                return none;
            case "TemplateProcessing": {
                IntList prefix = new IntList(), suffix = new IntList();
                boolean seenSequence = false;
                for (JsonNode item : n.path("single")) {
                    if (item.has("Sequence")) {
                        seenSequence = true;
                    } else if (item.has("SpecialToken")) {
                        String name = item.path("SpecialToken").path("id").asText();
                        JsonNode ids = n.path("special_tokens").path(name).path("ids");
                        if (!ids.isArray() || ids.isEmpty())
                            throw fail(field + ".special_tokens", "no ids for '" + name + "'");
                        for (JsonNode id : ids) (seenSequence ? suffix : prefix).add(id.asInt());
                    }
                }
                return new int[][] {prefix.toArray(), suffix.toArray()};
            }
            case "Sequence": {
                IntList prefix = new IntList(), suffix = new IntList();
                JsonNode list = n.path("processors");
                for (int i = 0; i < list.size(); i++) {
                    int[][] part = postProcessorTemplate(list.get(i), field + ".processors[" + i + "]");
                    prefix.addAll(part[0]);
                    suffix.addAll(part[1]);
                }
                return new int[][] {prefix.toArray(), suffix.toArray()};
            }
            default:
                throw fail(field, "post-processor type '" + type + "' is not supported");
        }
    }

    private String literalPattern(JsonNode pattern, String field) throws IOException {
        if (!pattern.has("String"))
            throw fail(field + ".pattern", "only String patterns are supported here, got " + pattern);
        return pattern.path("String").asText();
    }

    /** bos_token / eos_token of tokenizer_config.json: a string or an object with "content". */
    private String configToken(String key) {
        if (config == null) return null;
        JsonNode t = config.path(key);
        if (t.isTextual()) return t.asText();
        if (t.path("content").isTextual()) return t.path("content").asText();
        return null;
    }

    private int[] idsOf(Vocabulary vocabulary, String token, String flag) throws IOException {
        if (token == null || vocabulary.id(token) < 0)
            throw new IOException(file.resolveSibling("tokenizer_config.json") + ": " + flag + " is set but the token '"
                    + token + "' is not in the vocabulary");
        return new int[] {vocabulary.id(token)};
    }

    /** chat_template: a string, or a list of {name, template} of which "default" is used. */
    private String chatTemplate() {
        if (config == null) return null;
        JsonNode t = config.path("chat_template");
        if (t.isTextual()) return t.asText();
        for (JsonNode named : t)
            if (named.path("name").asText().equals("default"))
                return named.path("template").asText();
        return null;
    }

    private IOException fail(String field, String problem) {
        return new IOException(file + ": " + field + ": " + problem);
    }
}
