#!/usr/bin/env bash
# What a user meets: a fresh `veil talaria run` process against a running cloud, setup authority and table server,
# against a fresh `veil generate` process on the same weights. Prints each run's time from process start to the first
# output byte (JVM start, model open or connections, table fetch, setup on the path, prefill), then the medians.
#   scripts/talaria-cold-start.sh MODEL_DIR [runs] [talaria run options...]
# e.g. scripts/talaria-cold-start.sh ~/.cache/veil/bench/qwen2.5-0.5b-bf16 3 --embed local --head local
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="$1"; RUNS="${2:-3}"; shift 2 || shift $#
"$ROOT/veil" --version >/dev/null   # builds the jar if the sources changed
JAVA=("${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" --add-modules jdk.incubator.vector
      --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Dveil.home="$ROOT" -jar "$ROOT/cli/target/veil.jar")
CLOUD_PORT=18700; SETUP_PORT=18701; TABLES_PORT=18702
LOG="$(mktemp -d)"
"${JAVA[@]}" talaria cloud --model "$MODEL" --port $CLOUD_PORT >"$LOG/cloud" 2>&1 & CLOUD=$!
"${JAVA[@]}" talaria setup --model "$MODEL" --port $SETUP_PORT --tables-port $TABLES_PORT >"$LOG/setup" 2>&1 & SETUP=$!
trap 'kill $CLOUD $SETUP 2>/dev/null || true' EXIT
for i in $(seq 600); do
  grep -q "listening" "$LOG/cloud" 2>/dev/null && grep -q "table server listening" "$LOG/setup" 2>/dev/null && break
  sleep 1
done
PROMPT="The quick brown fox jumps over the lazy dog while the cat sleeps"
TALARIA=(talaria run --cloud http://127.0.0.1:$CLOUD_PORT --setup http://127.0.0.1:$SETUP_PORT
         --tables http://127.0.0.1:$TABLES_PORT --tokenizer "$MODEL" --prompt "$PROMPT" --max-tokens 16 "$@")
LOCAL=(generate --model "$MODEL" --prompt "$PROMPT" --max-tokens 16)
# seconds from spawn to the first byte on stdout, and the whole stdout for comparing
first_byte() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
b = p.stdout.read(1)
t = time.monotonic() - t0
rest = p.stdout.read()
p.wait()
print(f"{t:.3f} {(b + rest).decode(errors='replace').strip()[:60]!r}")
PY
}
first_byte "${JAVA[@]}" "${TALARIA[@]}" >/dev/null   # the servers' first request (their code compiled, weights folded)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$RUNS"); do
  echo "talaria run: $(first_byte "${JAVA[@]}" "${TALARIA[@]}")"
  echo "generate:    $(first_byte "${JAVA[@]}" "${LOCAL[@]}")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
