package dev.veil.train.data;

/** One document of a corpus: a State of the Union address, or one fortune. */
public record Document(String id, String text) {}
