#!/usr/bin/env bash
# Fuzzes Veil's Jazzer targets, one after the other, each for its @FuzzTest maxDuration (2 minutes), with Jazzer's
# coverage instrumentation on. A finding fails that target's run and is saved by Jazzer as
# <module>/src/test/resources/<package>/<Class>Inputs/<method>/crash-<sha1>: fix it, keep the file (it is then a
# regression input that every `./veil test` runs). The generated corpus grows in <module>/.cifuzz-corpus/ (ignored).
#   scripts/fuzz.sh                 every target
#   scripts/fuzz.sh Gguf KeyFile    the targets whose class name contains one of the words
set -uo pipefail
cd "$(dirname "$0")/.."
targets=(
  model:dev.veil.model.gguf.GgufFuzzTest
  model:dev.veil.model.safetensors.SafetensorsFuzzTest
  model:dev.veil.model.ModelConfigFuzzTest
  tokenizer:dev.veil.tokenizer.TokenizerJsonFuzzTest
  talaria-protocol:dev.veil.talaria.protocol.V2CodecFuzzTest
  talaria-protocol:dev.veil.talaria.protocol.SetupBundleFuzzTest
  server:dev.veil.server.CompletionRequestFuzzTest
  gateway:dev.veil.gateway.AppRequestFuzzTest#chat
  gateway:dev.veil.gateway.AppRequestFuzzTest#completion
  aloepri:dev.veil.aloepri.KeyFileFuzzTest
)
failed=()
for t in "${targets[@]}"; do
  module=${t%%:*} test=${t#*:}
  if [ $# -gt 0 ]; then
    match=; for w in "$@"; do [[ $test == *"$w"* ]] && match=1; done
    [ -n "$match" ] || continue
  fi
  echo "== fuzzing $test ($module)"
  if ! JAZZER_FUZZ=1 mvn -B -q -o -pl "$module" -am verify -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
      -Djacoco.skip=true -Djazzer.hooks=true; then
    failed+=("$test")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "findings in: ${failed[*]}"; exit 1; fi
echo "no findings"
