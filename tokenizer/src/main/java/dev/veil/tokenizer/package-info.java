package dev.veil.tokenizer;
