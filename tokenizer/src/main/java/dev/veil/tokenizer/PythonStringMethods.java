package dev.veil.tokenizer;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's str methods and indexing for jinjava: chat templates are written for Jinja2, where {@code s.startswith(x)},
 * {@code s.split(x)} or {@code s.strip('\n')} are Python calls; jinjava would call the Java methods of
 * String instead (which do not exist or differ: Java's split takes a regex and drops trailing empty parts).
 */
final class PythonStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), args);
        if (result != null) context.setPropertyResolved(true);
        return result;
    }

    private static Object call(String s, String method, Object[] args) {
        String arg0 = args.length > 0 && args[0] != null ? args[0].toString() : null;
        return switch (method) {
            case "startswith" -> arg0 != null && s.startsWith(arg0);
            case "endswith" -> arg0 != null && s.endsWith(arg0);
            case "strip" -> stripRight(stripLeft(s, arg0), arg0);
            case "lstrip" -> stripLeft(s, arg0);
            case "rstrip" -> stripRight(s, arg0);
            case "split" -> split(s, arg0, args.length > 1 ? ((Number) args[1]).intValue() : -1);
            case "replace" -> args.length >= 2 ? s.replace(arg0, String.valueOf(args[1])) : null;
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" ->
                s.isEmpty()
                        ? s
                        : s.substring(0, 1).toUpperCase(Locale.ROOT)
                                + s.substring(1).toLowerCase(Locale.ROOT);
            case "find" -> arg0 == null ? null : s.indexOf(arg0);
            case "count" ->
                arg0 == null || arg0.isEmpty()
                        ? null
                        : (s.length() - s.replace(arg0, "").length()) / arg0.length();
            case "join" -> args.length == 1 && args[0] instanceof Iterable<?> items ? join(s, items) : null;
            default -> null;
        };
    }

    /** Python strips whitespace when given no characters, else any of the given characters. */
    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    private static String stripLeft(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    private static String stripRight(String s, String chars) {
        int i = s.length();
        while (i > 0 && strippable(s.charAt(i - 1), chars)) i--;
        return s.substring(0, i);
    }

    private static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) { // Python: runs of whitespace, no empty parts
            for (String part : s.strip().split("\\s+", maxSplit < 0 ? 0 : maxSplit + 1))
                if (!part.isEmpty()) parts.add(part);
            return parts;
        }
        int from = 0, at;
        while ((maxSplit < 0 || parts.size() < maxSplit)
                && !separator.isEmpty()
                && (at = s.indexOf(separator, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean startOfWord = true;
        for (char c : s.toCharArray()) {
            out.append(startOfWord ? Character.toUpperCase(c) : Character.toLowerCase(c));
            startOfWord = !Character.isLetter(c);
        }
        return out.toString();
    }

    private static String join(String separator, Iterable<?> items) {
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : items) {
            if (!first) out.append(separator);
            out.append(item);
            first = false;
        }
        return out.toString();
    }

    /** {@code s[i]}, negative i counting from the end as in Python; other properties fall through to jinjava. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        // jinjava hands the index over as a Number or as its decimal string
        if (!(base instanceof String s)
                || property == null
                || !property.toString().matches("-?\\d{1,9}")) return null;
        int index = Integer.parseInt(property.toString());
        int i = index < 0 ? s.length() + index : index;
        context.setPropertyResolved(true);
        return i >= 0 && i < s.length() ? String.valueOf(s.charAt(i)) : null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
