package dev.veil.server;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/** Random parts of JSON requests for the fuzz tests of every endpoint (the server's and the gateway's). */
public final class JsonFuzz {

    private JsonFuzz() {}

    /**
     * A JSON value: an integer in [{@code minInt}, {@code maxInt}], any double, or a literal of another type or an edge
     * case (null, booleans, strings, empty and nested containers, 1e999), with the endpoint's own {@code more}.
     */
    public static Arbitrary<String> values(int minInt, int maxInt, String... more) {
        List<String> literals = new ArrayList<>(List.of(
                "null", "true", "false", "\"\"", "\"x\"", "[]", "{}", "[\"a\"]", "1e999", "{\"include_usage\": true}"));
        literals.addAll(List.of(more));
        return Arbitraries.oneOf(
                Arbitraries.integers().between(minInt, maxInt).map(String::valueOf),
                Arbitraries.doubles().map(String::valueOf),
                Arbitraries.of(literals));
    }

    /** Up to {@code maxSize} distinct {@code "name": value} members, comma-separated, without braces. */
    public static Arbitrary<String> members(Arbitrary<String> names, Arbitrary<String> values, int maxSize) {
        return Arbitraries.maps(names, values)
                .ofMaxSize(maxSize)
                .map(m -> m.entrySet().stream()
                        .map(e -> "\"" + e.getKey() + "\":" + e.getValue())
                        .collect(Collectors.joining(",")));
    }
}
