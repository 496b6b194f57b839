package dev.veil.tokenizer;

import java.text.Normalizer;
import java.util.List;

/** A tokenizer.json "normalizer": rewrites each text segment before pre-tokenisation. */
@FunctionalInterface
interface TextNormalizer {
    String normalize(String text);

    TextNormalizer NONE = text -> text;

    static TextNormalizer unicode(Normalizer.Form form) {
        return text -> Normalizer.isNormalized(text, form) ? text : Normalizer.normalize(text, form);
    }

    /** SentencePiece's dummy prefix: Hugging Face prepends only to a non-empty segment. */
    static TextNormalizer prepend(String prefix) {
        return text -> text.isEmpty() ? text : prefix + text;
    }

    static TextNormalizer replace(String literal, String replacement) {
        return text -> text.replace(literal, replacement);
    }

    static TextNormalizer sequence(List<TextNormalizer> steps) {
        return text -> {
            for (TextNormalizer step : steps) text = step.normalize(text);
            return text;
        };
    }
}
