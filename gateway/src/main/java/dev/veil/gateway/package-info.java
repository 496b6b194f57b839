/**
 * The TRUSTED gateway ({@code veil gateway}): the OpenAI-compatible API an app talks to. It applies the chat template,
 * tokenizes, detokenizes incrementally and applies stop strings on the plaintext side, and reaches the model only
 * through a {@link dev.veil.gateway.PrivateCompletionBackend}: AloePri (obfuscated token ids to an untrusted
 * vLLM-compatible server) now, Talaria (masked tensors) through the same interface.
 */
package dev.veil.gateway;
