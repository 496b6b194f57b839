#!/usr/bin/env bash
# The "first weight type is 5x slower" anomaly (docs/warm-start.md): fresh JVMs run MatMulThroughput (decode mat-vec
# 4096x2048, one thread, CPU time) and print, per JVM, each type's decode GB/s, the bytes allocated per product, and
# the tiers at which VectorMath.sum had been compiled before C2 compiled the row kernel that inlines it. A slow JVM
# allocates ~13 KB per F16 row (~12 KB per F32 row): C2 compiled the kernel while sum had only a tier-2 (profile-free)
# compile, could not devirtualize the calls on sum's loop-carried vector, and boxes the kernel's accumulator on every
# iteration. Fixed since VectorMath.sum casts its vector to the exact class: any slow JVM here is a regression.
#   scripts/first-type-anomaly.sh [runs] [git-rev] [types]   (after: mvn -o -q -pl engine -am test-compile)
# types: comma-separated, default F16. With a git revision, each run also starts a JVM on that revision's Half.java,
# Matrix.java and MatMul.java (compiled over this tree's classes), alternating with this tree's, for a same-load
# comparison.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-5}"; REV="${2:-}"; TYPES="${3:-F16}"
JDK="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
CP="$ROOT/model-config/target/classes:$ROOT/model/target/classes:$ROOT/engine-core/target/classes:$ROOT/engine/target/classes:$ROOT/engine/target/test-classes"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
VARIANTS=("this tree=")
if [ -n "$REV" ]; then
  mkdir -p "$TMP/src" "$TMP/old"
  # Half.java is in engine-core since the model split, in engine before it
  git -C "$ROOT" show "$REV:engine-core/src/main/java/dev/veil/engine/kernel/Half.java" >"$TMP/src/Half.java" 2>/dev/null \
    || git -C "$ROOT" show "$REV:engine/src/main/java/dev/veil/engine/kernel/Half.java" >"$TMP/src/Half.java"
  for f in Matrix MatMul; do
    git -C "$ROOT" show "$REV:engine/src/main/java/dev/veil/engine/kernel/$f.java" >"$TMP/src/$f.java"
  done
  "$JDK/bin/javac" --add-modules jdk.incubator.vector -nowarn -cp "$CP" -d "$TMP/old" "$TMP/src/"*.java 2>/dev/null
  VARIANTS+=("$REV=$TMP/old:")
fi
declare -A SLOW TOTAL
for r in $(seq "$RUNS"); do
  for v in "${VARIANTS[@]}"; do
    name="${v%%=*}"
    # the VM's compilation log goes to a file, the program's lines to stdout
    out="$("$JDK/bin/java" --add-modules jdk.incubator.vector -DcpuTime=true -XX:+UnlockDiagnosticVMOptions \
      -XX:+PrintCompilation -XX:+LogVMOutput -XX:-DisplayVMOutput -XX:LogFile="$TMP/vm.log" \
      -cp "${v#*=}$CP" dev.veil.engine.kernel.MatMulThroughput 4096 2048 1 1 "$TYPES" 2>/dev/null)"
    # tiers of VectorMath::sum compiles logged before the first tier-4 compile of a Matrix::dotRow* kernel
    tiers="$(awk '/Matrix::dotRow[A-Z0-9]+ / && $0 ~ /[ \t]4[ \t]+dev/ { exit } /VectorMath::sum \(42 bytes\)/ && !/made not entrant/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^dev\.veil/) { printf "%s%s", sep, $(i-1); sep = "," } }' "$TMP/vm.log")"
    lines="$(grep -E '^(F32|F16|BF16) ' <<<"$out" | sed -E 's/ +batch.*//; s/ +threads=1 +/ /; s/4096x2048 //' | tr '\n' ';')"
    echo "run $r, $name: $lines sum tiers before the kernel's C2 compile: ${tiers:-none}"
    TOTAL[$name]=$(( ${TOTAL[$name]:-0} + 1 ))
    # a product allocating over 1 MB (the kernel boxing per iteration) marks a slow JVM
    if grep -qE ' [0-9]{7,} B/call' <<<"$lines"; then SLOW[$name]=$(( ${SLOW[$name]:-0} + 1 )); fi
  done
done
for v in "${VARIANTS[@]}"; do
  name="${v%%=*}"; echo "$name: ${SLOW[$name]:-0} of ${TOTAL[$name]} JVMs slow (allocating in the kernel)"
done
