/**
 * The UNTRUSTED token server: a vLLM-compatible {@code /v1/completions} over token ids with continuous batching.
 * It runs whatever model it is given (for AloePri, the obfuscated checkpoint) and holds no secret: no tokenizer, no
 * key, no client runtime (the pom's enforcer rule and {@code TrustBoundaryTest} keep it so). Its logs record counts
 * and timings, never ids.
 */
package dev.veil.server;
