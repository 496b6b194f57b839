package dev.veil.train.tokenizer;

import dev.veil.train.data.Document;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Trains Veil's byte-level BPE tokenizer on a corpus and writes it as a standard Hugging Face tokenizer. */
public final class TokenizerTraining {
    private TokenizerTraining() {}

    /**
     * @param vocabSize      total vocabulary (4k–16k is sensible for the bundled corpora), special tokens included
     * @param modelMaxLength the context length written into tokenizer_config.json
     */
    public static TrainedBpe train(
            List<Document> docs, int vocabSize, int minFrequency, Path outDir, int modelMaxLength) throws IOException {
        if (docs.isEmpty()) throw new IllegalArgumentException("no documents to train the tokenizer on");
        BpeTrainer trainer = new BpeTrainer(vocabSize, TrainedBpe.SPECIAL_TOKENS, minFrequency);
        for (Document d : docs) trainer.add(d.text());
        TrainedBpe model = trainer.train();
        model.write(outDir, modelMaxLength);
        return model;
    }
}
