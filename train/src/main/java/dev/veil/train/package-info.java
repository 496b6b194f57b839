package dev.veil.train;
