package dev.veil.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template (tokenizer_config.json {@code chat_template}, or GGUF {@code tokenizer.chat_template})
 * rendered with jinjava the way transformers renders it with Jinja2: trim_blocks and lstrip_blocks on,
 * variables {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, the function
 * {@code raise_exception}, and Python's string methods. Two Python forms jinjava cannot parse are rewritten
 * first: {@code x[::-1]} becomes {@code x|reverse}, and keyword values of {@code namespace(...)} are
 * parenthesised (jinjava would otherwise bind {@code a=b|length - 1} as {@code (a=b|length) - 1}).
 */
public final class ChatTemplate {
    /** One chat message. */
    public record Message(String role, String content) {}

    private static final Jinjava JINJAVA = jinjava();

    private final String template;
    private final String bosToken;
    private final String eosToken;

    /** @param bosToken, eosToken the token strings the template may print; null when the model has none */
    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = rewriteForJinjava(template);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    /** The template of {@code tokenizer_config.json} in a model directory (or that file itself). */
    public static ChatTemplate load(Path dirOrConfig) throws IOException {
        Path file = Files.isDirectory(dirOrConfig) ? dirOrConfig.resolve("tokenizer_config.json") : dirOrConfig;
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": cannot read the chat template: " + e.getMessage(), e);
        }
        JsonNode t = config.path("chat_template");
        String text = t.isTextual() ? t.asText() : null;
        for (JsonNode named : t)
            if (named.path("name").asText().equals("default"))
                text = named.path("template").asText();
        if (text == null) throw new IOException(file + ": chat_template: missing (this model has no chat template)");
        return new ChatTemplate(text, tokenText(config.path("bos_token")), tokenText(config.path("eos_token")));
    }

    private static String tokenText(JsonNode token) {
        if (token.isTextual()) return token.asText();
        return token.path("content").isTextual() ? token.path("content").asText() : null;
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> maps = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            maps.add(map);
        }
        return render(maps, addGenerationPrompt, Map.of());
    }

    /**
     * @param messages  role/content maps; any other keys (tool_calls, reasoning_content, ...) reach the template
     * @param variables further template variables (tools, enable_thinking, ...)
     * @throws IllegalArgumentException with the template's message when it raises or fails to render
     */
    public String render(
            List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        Map<String, Object> context = new HashMap<>(variables);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken == null ? "" : bosToken);
        context.put("eos_token", eosToken == null ? "" : eosToken);
        RenderResult result = JINJAVA.renderForResult(template, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() != TemplateError.ErrorType.FATAL) continue;
            for (Throwable t = error.getException(); t != null; t = t.getCause())
                if (t instanceof RaisedByTemplate raised)
                    throw new IllegalArgumentException("chat template: " + raised.getMessage());
            throw new IllegalArgumentException("chat template: " + error.getMessage()
                    + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : ""));
        }
        return result.getOutput();
    }

    /** The Python-only forms of Jinja2 templates that jinjava cannot parse, rewritten to equivalents it can. */
    static String rewriteForJinjava(String template) {
        String t = template.replace("[::-1]", "|reverse");
        StringBuilder out = new StringBuilder(t.length());
        int from = 0, at;
        while ((at = t.indexOf("namespace(", from)) >= 0) {
            int open = at + "namespace(".length();
            int close = topLevel(t, open, ')'); // the one closing "namespace("
            if (close < 0) break;
            out.append(t, from, open)
                    .append(parenthesiseKeywordValues(t.substring(open, close)))
                    .append(')');
            from = close + 1;
        }
        return out.append(t.substring(from)).toString();
    }

    /**
     * The index of the first {@code target} from {@code start} on that stands outside quoted strings and outside the
     * brackets opened after {@code start}; -1 if none.
     */
    private static int topLevel(String s, int start, char target) {
        int depth = 0;
        char quote = 0;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') quote = c;
            else if (c == target && depth == 0) return i;
            else if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
        }
        return -1;
    }

    private static String parenthesiseKeywordValues(String args) {
        List<String> parts = new ArrayList<>();
        int start = 0, comma;
        while ((comma = topLevel(args, start, ',')) >= 0) {
            parts.add(args.substring(start, comma));
            start = comma + 1;
        }
        parts.add(args.substring(start));
        List<String> rewritten = new ArrayList<>();
        for (String part : parts) {
            var m = Pattern.compile("^(\\s*[A-Za-z_]\\w*\\s*)=(?!=)(.*)$", Pattern.DOTALL)
                    .matcher(part);
            rewritten.add(m.matches() ? m.group(1) + "=(" + m.group(2) + ")" : part);
        }
        return String.join(",", rewritten);
    }

    private static Jinjava jinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true) // {{- x -}} trims as in Jinja2
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withWhitespaceRequiredWithinTokens(false)
                        .withKeepNullableLoopValues(true)
                        .withUsePyishObjectMapper(true)
                        .build())
                .build());
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new Filter() {
            @Override
            public String getName() {
                return "tojson";
            }

            @Override
            public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
                return PythonJson.dumps(value);
            }
        });
        return jinjava;
    }

    /** The template's own error, e.g. "Conversation roles must alternate user/assistant/user/assistant/...". */
    public static String raiseException(String message) {
        throw new RaisedByTemplate(message);
    }

    private static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message, null, false, false);
        }
    }

    /** Python's datetime.now().strftime(format) for the directives chat templates use. */
    public static String strftimeNow(String format) {
        LocalDateTime now = LocalDateTime.now();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char d = format.charAt(++i);
            String pattern = switch (d) {
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                default -> null;
            };
            out.append(pattern == null ? "%" + d : now.format(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH)));
        }
        return out.toString();
    }
}
