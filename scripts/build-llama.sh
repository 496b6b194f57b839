#!/usr/bin/env bash
# Builds stock llama.cpp's llama-server, llama-quantize and rpc-server (CPU only, GGML_RPC on, no curl/openssl,
# static) from the source the fixture step unpacks into $VEIL_CACHE/llama.cpp, into $VEIL_CACHE/llama-bin/.
# Once per cache: $VEIL_CACHE/llama-bin/.done holds the source commit + build flags it was built from; a match
# means there is nothing to do. The stamp is written last, so a reader that sees it sees finished binaries; while
# building, .pid holds this script's process id (tests wait for the stamp while it lives: dev.veil.bench.LlamaServer).
#   scripts/build-llama.sh            build if needed, in the foreground
#   scripts/build-llama.sh --check    exit 0 if the build is current, 1 if not
set -euo pipefail
CACHE="${VEIL_CACHE:-$HOME/.cache/veil}"
SRC="$CACHE/llama.cpp"
OUT="$CACHE/llama-bin"
say() { echo "[llama-build] $*" >&2; }

[ -f "$SRC/.done" ] || { echo "veil: llama.cpp source missing in $SRC: run scripts/fetch-fixtures.sh first" >&2; exit 1; }
command -v cmake >/dev/null || { echo "veil: building llama-server needs cmake (apt-get install cmake)" >&2; exit 1; }
command -v g++ >/dev/null || { echo "veil: building llama-server needs g++ (apt-get install g++)" >&2; exit 1; }

FLAGS=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON -DGGML_RPC=ON -DGGML_OPENMP=OFF
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON)
TARGETS=(llama-server llama-quantize ggml-rpc-server) # CMake's names; installed as llama-server, llama-quantize, rpc-server
COMMIT=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)
KEY="$COMMIT ${FLAGS[*]} ${TARGETS[*]}"

if [ -f "$OUT/.done" ] && [ "$(cat "$OUT/.done")" = "$KEY" ]; then
  [ "${1:-}" = --check ] && exit 0
  say "up to date in $OUT"; exit 0
fi
[ "${1:-}" = --check ] && exit 1

# One builder per cache: a second caller waits for the first instead of building over it.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
if ! flock -n 9; then
  say "another build is running; waiting for it"
  flock 9
  [ -f "$OUT/.done" ] && [ "$(cat "$OUT/.done")" = "$KEY" ] && exit 0
fi

echo $$ > "$OUT/.pid" # tests waiting for the stamp check that this process is alive (LlamaServer.binaries)
trap 'rm -f "$OUT/.pid"' EXIT
rm -f "$OUT/.done" # a stale stamp would let tests run old binaries while these are rebuilt
JOBS=$(nproc 2>/dev/null || echo 2)
say "building llama-server, llama-quantize, rpc-server from llama.cpp ${COMMIT:0:10} with $JOBS jobs into $OUT"
say "this takes 15-30 min on 2 idle cores (an hour on busy ones), 5 min on 8; once per cache; log: $OUT/build.log"
BUILD="$OUT/build"
start=$(date +%s)
{
  cmake -S "$SRC" -B "$BUILD" "${FLAGS[@]}"
  nice -n 10 cmake --build "$BUILD" --config Release -j "$JOBS" --target "${TARGETS[@]}"
} >"$OUT/build.log" 2>&1 || { echo "veil: llama.cpp build failed; see $OUT/build.log" >&2; tail -20 "$OUT/build.log" >&2; exit 1; }
for t in "${TARGETS[@]}"; do install -m 755 "$BUILD/bin/$t" "$OUT/${t#ggml-}"; done
rm -rf "$BUILD"
echo "$KEY" > "$OUT/.done"
say "done in $(( $(date +%s) - start )) s: $OUT/{llama-server,llama-quantize,rpc-server}"
