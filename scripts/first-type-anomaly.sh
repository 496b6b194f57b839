#!/usr/bin/env bash
# The "first weight type is 5x slower" anomaly (docs/warm-start.md): fresh JVMs run MatMulThroughput on F16 then BF16
# (and the reverse), one thread, CPU time, and print each type's decode GB/s beside the kernel helpers that C2
# refused to inline ("callee is too large"). F16 comes out ~4x slower in some JVMs and not in others (a per-JVM
# outcome of its C2 compile, not of the order); the inlining failures listed were ruled out as the cause.
#   scripts/first-type-anomaly.sh [runs] [git-rev]   (after: mvn -o -q -pl engine -am test-compile)
# With a git revision, also runs that revision's Half.java (compiled over this tree's classes) for comparison.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-2}"; REV="${2:-}"
JDK="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
CP="$ROOT/model-config/target/classes:$ROOT/model/target/classes:$ROOT/engine-core/target/classes:$ROOT/engine/target/classes:$ROOT/engine/target/test-classes"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
VARIANTS=("this tree=")
if [ -n "$REV" ]; then
  mkdir -p "$TMP/src" "$TMP/old"
  # Half.java is in engine-core since the model split, in engine before it
  git -C "$ROOT" show "$REV:engine-core/src/main/java/dev/veil/engine/kernel/Half.java" >"$TMP/src/Half.java" 2>/dev/null \
    || git -C "$ROOT" show "$REV:engine/src/main/java/dev/veil/engine/kernel/Half.java" >"$TMP/src/Half.java"
  "$JDK/bin/javac" --add-modules jdk.incubator.vector -nowarn -cp "$CP" -d "$TMP/old" "$TMP/src/Half.java" 2>/dev/null
  VARIANTS+=("Half.java of $REV=$TMP/old:")
fi
for r in $(seq "$RUNS"); do
  for v in "${VARIANTS[@]}"; do
    for order in F16,BF16 BF16,F16; do
      # the VM's inlining log goes to a file, the program's lines to stdout
      out="$("$JDK/bin/java" --add-modules jdk.incubator.vector -DcpuTime=true -XX:+UnlockDiagnosticVMOptions \
        -XX:+PrintInlining -XX:+LogVMOutput -XX:-DisplayVMOutput -XX:LogFile="$TMP/vm.log" \
        -cp "${v#*=}$CP" dev.veil.engine.kernel.MatMulThroughput 4096 2048 1 1 "$order" 2>/dev/null)"
      echo "run $r, ${v%%=*}, $order: $(grep -E '^(F16|BF16) ' <<<"$out" | sed -E 's/ +batch.*//; s/ +threads=1 +/ /' \
        | tr '\n' ';')"
      echo "  not inlined (too large): $(grep -E '(Half|VectorMath)::[a-zA-Z0-9]+ .*too large' "$TMP/vm.log" \
        | sed -E 's/.*(Half|VectorMath)::([a-zA-Z0-9]+).*/\1.\2/' | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    done
  done
done
