/**
 * Veil's own models, trained from public-domain text: {@code veil train tokenizer} ({@link
 * dev.veil.train.tokenizer.TokenizerTraining}) and {@code veil train model} ({@link dev.veil.train.TrainingRun}:
 * config → tokenizer → {@link dev.veil.train.Trainer} steps with atomic {@link dev.veil.train.Checkpoint}s →
 * Hugging Face directory → {@link dev.veil.train.ModelReport} and {@link dev.veil.train.ModelCard}). The model is
 * {@link dev.veil.train.model.Transformer} on the differentiation library {@link dev.veil.train.nn}; corpora
 * come from {@link dev.veil.train.data}.
 */
package dev.veil.train;
