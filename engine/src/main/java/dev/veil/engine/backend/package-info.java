/** {@link dev.veil.engine.LinearBackend} implementations that hold the weights. */
package dev.veil.engine.backend;
