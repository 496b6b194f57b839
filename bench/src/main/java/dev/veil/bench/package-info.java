package dev.veil.bench;
