package dev.veil.attack.capture;

/** One crossing of the linear seam, in arrival order: the product's name ({@code embed}, {@code layer.0.qkv}, ...) and its row count. */
public record Call(String name, int rows) {}
