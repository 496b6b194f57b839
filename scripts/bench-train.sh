#!/usr/bin/env bash
# Training throughput of two Veil builds side by side in one run, on a training config (default: the bundled model's;
# tokenizer reused, so only training steps differ): runs A and B alternately, REPEATS times each, STEPS steps per run
# (the config's steps set one higher, so a run stops with a checkpoint and skips export and evaluation), THREADS kernel
# threads, and reads tokens/s from each run's training_log.jsonl (training steps only: no data loading, no eval).
#   [CONFIG=path/train-config.json] scripts/bench-train.sh OLD.jar NEW.jar [STEPS] [REPEATS] [THREADS]
# Needs the SOTU corpus in $VEIL_CACHE (default ~/.cache/veil; `veil data fetch sotu fortunes`). Writes
# bench/results/train-<time>.md and .json and prints the markdown.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
A="$1"; B="$2"; STEPS="${3:-10}"; REPEATS="${4:-3}"; THREADS="${5:-2}"
CACHE="${VEIL_CACHE:-$HOME/.cache/veil}"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
JAVA="${JAVA_HOME:?set JAVA_HOME to a JDK 25}/bin/java"
CONFIG="${CONFIG:-$ROOT/models/veil-sotu-qwen2/train-config.json}"
PARAMS="$(python3 - "$ROOT/models/veil-sotu-qwen2" "$CONFIG" "$WORK/config.json" "$STEPS" <<'EOF'
import json, sys
tokenizer, config, out, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = json.load(open(config))
c.pop("out", None)
c["tokenizer"] = {"path": tokenizer}
c["training"].update(steps=steps + 1, warmup_steps=1, checkpoint_every=steps + 1, eval_every=steps + 1)
json.dump(c, open(out, "w"))
m, t = c["model"], c["training"]
print("%s, %d layers, hidden %d, batch %d × %d tokens" % (m["architecture"], m["num_hidden_layers"], m["hidden_size"],
      t["batch_size"], t["seq_len"]))
EOF
)"
STAMP="$(date -u +%Y-%m-%dT%H%M%S)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for r in $(seq 1 "$REPEATS"); do
  for which in A B; do
    jar="$A"; [ "$which" = B ] && jar="$B"
    out="$WORK/run-$which-$r"
    /usr/bin/time -f '%U %S %e' -o "$WORK/time" "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -XX:+UseParallelGC -XX:ActiveProcessorCount="$THREADS" -jar "$jar" train model --config "$WORK/config.json" \
      --out "$out" --cache "$CACHE" --max-steps "$STEPS" --no-progress > "$WORK/log" 2>&1 || { cat "$WORK/log"; exit 1; }
    read -r user sys wall < "$WORK/time"
    rate="$(python3 -c "
import json,sys
e=[json.loads(l) for l in open('$out/training_log.jsonl')]
t=sum(x.get('tokens',0) for x in e); s=sum(x.get('seconds',0) for x in e)
print('%.0f %.1f %.2f' % (t/s, s, ($user+$sys)/($wall*$THREADS)))")"
    rows+=("$which $r $rate")
    echo "$which run $r: $rate (tok/s, seconds in steps, CPU share)" >&2
  done
done
FILE="$ROOT/bench/results/train-$STAMP.md"
{
  echo "# Training throughput $STAMP"
  echo
  echo "- command: \`scripts/bench-train.sh $A $B $STEPS $REPEATS $THREADS\`"
  echo "- config: ${CONFIG#$ROOT/} ($PARAMS), $STEPS steps per run, tokenizer of models/veil-sotu-qwen2"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores visible; kernel threads: $THREADS"
  echo "- JDK: $("$JAVA" -version 2>&1 | head -1)"
  echo "- load average at start (1/5/15 min): $LOAD"
  echo "- tok/s: training tokens over seconds spent in training steps (from training_log.jsonl); A and B alternate"
  echo "- CPU share: the whole process's CPU time per thread and wall second (data loading included); well below 1 means other load held the cores"
  echo
  echo "| build | run | tok/s | seconds in steps | CPU share |"
  echo "|---|---:|---:|---:|---:|"
  for row in "${rows[@]}"; do
    set -- $row
    label="A: $(basename "$A")"; [ "$1" = B ] && label="B: $(basename "$B")"
    echo "| $label | $2 | $3 | $4 | $5 |"
  done
  echo
  python3 - "${rows[@]}" <<'EOF'
import sys
best = {}
for row in sys.argv[1:]:
    w, r, rate, s, share = row.split()
    best[w] = max(best.get(w, 0), float(rate))
print("Best of each: A %.0f tok/s, B %.0f tok/s; B / A = %.2f" % (best["A"], best["B"], best["B"] / best["A"]))
EOF
} > "$FILE"
python3 - "${FILE%.md}.json" "$A" "$B" "${CONFIG#$ROOT/}" "$STEPS" "$THREADS" "$LOAD" "$("$JAVA" -version 2>&1 | head -1)" "${rows[@]}" <<'EOF'
import json, sys
out, a, b, config, steps, threads, load, jdk = sys.argv[1:9]
runs = []
for row in sys.argv[9:]:
    w, r, rate, s, share = row.split()
    runs.append({"build": w, "run": int(r), "tokens_per_second": float(rate), "seconds_in_steps": float(s),
                 "cpu_share": float(share)})
best = {w: max(x["tokens_per_second"] for x in runs if x["build"] == w) for w in ("A", "B")}
cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
json.dump({"bench": "train", "a": a, "b": b, "config": config, "steps_per_run": int(steps), "threads": int(threads),
           "cpu": cpu, "jdk": jdk, "load_average_at_start": load, "runs": runs, "best_tokens_per_second": best,
           "ratio_b_over_a": best["B"] / best["A"]}, open(out, "w"), indent=2)
EOF
cat "$FILE"
