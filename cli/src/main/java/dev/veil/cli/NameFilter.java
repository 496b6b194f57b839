package dev.veil.cli;

import java.util.List;
import java.util.function.Function;

/**
 * {@code --settings} and {@code --attacks} of {@code veil audit} and {@code veil experiment}: a run cut to the entries
 * whose name contains one of the texts given; without the option (null), all of them.
 */
final class NameFilter {

    private NameFilter() {}

    static boolean matches(String name, List<String> only) {
        return only == null || only.stream().anyMatch(name::contains);
    }

    /** The entries of {@code all} whose {@code name} matches, in order. */
    static <S> List<S> matching(List<S> all, List<String> only, Function<S, String> name) {
        return all.stream().filter(s -> matches(name.apply(s), only)).toList();
    }

    /** As {@link #matching}, and an error when no setting is left. */
    static <S> List<S> requireSettings(List<S> all, List<String> only, Function<S, String> name) {
        List<S> left = matching(all, only, name);
        if (left.isEmpty()) throw new IllegalArgumentException("no setting matches --settings " + only);
        return left;
    }
}
